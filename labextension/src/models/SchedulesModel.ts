/**
 * The job definitions (schedules), polled slowly while the Schedules view is shown; their actions.
 */
import { IDescribeJobDefinition, IListJobDefinitionsResponse, SchedulesAPI } from '../api';
import { IUpdateJobDefinition } from '../api';
import { IDLE_INTERVAL } from './JobsModel';
import { PollingModel } from './PollingModel';

export class SchedulesModel extends PollingModel<IListJobDefinitionsResponse> {
  constructor() {
    super({ name: 'SchedulesModel', interval: IDLE_INTERVAL });
  }

  get definitions(): IDescribeJobDefinition[] {
    return this.data?.items ?? [];
  }

  /** PATCH one definition, then show the new state. */
  async update(id: string, body: IUpdateJobDefinition): Promise<void> {
    await SchedulesAPI.update(id, body);
    await this.refresh();
  }

  /** Delete one definition (the jobs it created stay), then show the new state. */
  async remove(id: string): Promise<void> {
    await SchedulesAPI.remove(id);
    await this.refresh();
  }

  protected fetch(): Promise<IListJobDefinitionsResponse> {
    return SchedulesAPI.list();
  }
}
