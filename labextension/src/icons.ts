/**
 * The studio's icons: the Jobs, Experiments, Models, Endpoints, Train and Tuning panels and the MLflow
 * UI item.
 */
import { LabIcon } from '@jupyterlab/ui-components';

import endpointsSvgstr from '../style/icons/endpoints.svg';
import experimentsSvgstr from '../style/icons/experiments.svg';
import jobsSvgstr from '../style/icons/jobs.svg';
import mlflowSvgstr from '../style/icons/mlflow.svg';
import modelsSvgstr from '../style/icons/models.svg';
import trainSvgstr from '../style/icons/train.svg';
import tuningSvgstr from '../style/icons/tuning.svg';

export const jobsIcon = new LabIcon({ name: 'studio_ext:jobs', svgstr: jobsSvgstr });
export const experimentsIcon = new LabIcon({
  name: 'studio_ext:experiments',
  svgstr: experimentsSvgstr
});
export const modelsIcon = new LabIcon({ name: 'studio_ext:models', svgstr: modelsSvgstr });
export const mlflowIcon = new LabIcon({ name: 'studio_ext:mlflow', svgstr: mlflowSvgstr });
export const endpointsIcon = new LabIcon({ name: 'studio_ext:endpoints', svgstr: endpointsSvgstr });
export const trainIcon = new LabIcon({ name: 'studio_ext:train', svgstr: trainSvgstr });
export const tuningIcon = new LabIcon({ name: 'studio_ext:tuning', svgstr: tuningSvgstr });
