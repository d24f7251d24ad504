/**
 * The studio's icons.
 */
import { LabIcon } from '@jupyterlab/ui-components';

import jobsSvgstr from '../style/icons/jobs.svg';

export const jobsIcon = new LabIcon({ name: 'studio_ext:jobs', svgstr: jobsSvgstr });
