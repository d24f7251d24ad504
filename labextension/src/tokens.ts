/**
 * Dependency-injection tokens, command ids and the public interfaces of the studio frontend.
 */
import { Token } from '@lumino/coreutils';

import { IStudioConfig } from './handler';
import { JobsModel, SchedulesModel } from './model';

/** Command ids, so other extensions and the tests can call them by name. */
export namespace CommandIDs {
  export const runAsJob = 'studio:run-as-job';
  export const openJobs = 'studio:open-jobs';
  export const openSchedules = 'studio:open-schedules';
  export const openJob = 'studio:open-job';
  export const refreshJobs = 'studio:refresh-jobs';
}

/** What the main plugin offers to other studio plugins (Experiments, Models, ... later). */
export interface IStudio {
  /** The server's answer to the version handshake. */
  readonly config: IStudioConfig;
  readonly jobs: JobsModel;
  readonly schedules: SchedulesModel;
  /** Reveal the Jobs panel, optionally highlighting one job. */
  showJobs(jobId?: string): void;
  /** Reveal the Schedules view. */
  showSchedules(): void;
  /** Open the detail view of one job in the main area. */
  openJob(jobId: string): void;
}

export const IStudio = new Token<IStudio>(
  'studio_ext:IStudio',
  'The studio frontend: jobs and schedules models and the panels showing them.'
);
