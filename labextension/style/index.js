import './base.css';
import './mlflow.css';
import './endpoints.css';
import './tuning.css';
