/**
 * Icons of the Experiments and Models panels and the MLflow UI launcher item.
 */
import { LabIcon } from '@jupyterlab/ui-components';

import experimentsSvgstr from '../style/icons/experiments.svg';
import mlflowSvgstr from '../style/icons/mlflow.svg';
import modelsSvgstr from '../style/icons/models.svg';

export const experimentsIcon = new LabIcon({
  name: 'studio_ext:experiments',
  svgstr: experimentsSvgstr
});
export const modelsIcon = new LabIcon({ name: 'studio_ext:models', svgstr: modelsSvgstr });
export const mlflowIcon = new LabIcon({ name: 'studio_ext:mlflow', svgstr: mlflowSvgstr });
