/**
 * "Deploy best": register the best trial's model (POST /studio/api/models from its runs:/ URI) and
 * create an endpoint serving that version (POST /studio/api/endpoints), names asked in a small
 * dialog. A registered version is kept: if the endpoint is refused, a retry does not register again.
 */
import * as React from 'react';

import { EndpointsAPI, IDescribeTuningJob, IModelVersionSummary, ModelsAPI } from '../../api';
import { ITuningNav } from '../../tokens';
import { defaultEndpointName } from '../endpoints/CreateEndpointForm';
import { ErrorBox } from '../common/ErrorBox';
import { useAction } from '../common/hooks';

/** `runs:/<run_id>/<artifact path>` split in two (null for other URIs). */
export function parseRunsUri(uri: string): { runId: string; artifactPath: string } | null {
  const match = /^runs:\/([^/]+)\/(.+)$/.exec(uri.trim());
  return match ? { runId: match[1], artifactPath: match[2] } : null;
}

export function DeployBestDialog(props: {
  nav: ITuningNav;
  job: IDescribeTuningJob;
  onClose: () => void;
}): JSX.Element {
  const { nav, job } = props;
  const trans = nav.trans;
  const best = job.best_trial;
  const [model, setModel] = React.useState(job.name);
  const [endpoint, setEndpoint] = React.useState(defaultEndpointName(job.name, undefined));
  const [registered, setRegistered] = React.useState<IModelVersionSummary | null>(null);
  const [deployed, setDeployed] = React.useState<string | null>(null);
  const action = useAction();
  const source = best?.model_uri ? parseRunsUri(best.model_uri) : null;
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    if (!best || !source) {
      return;
    }
    void action.run(async () => {
      let version = registered;
      if (!version || version.name !== model.trim()) {
        version = await ModelsAPI.register({
          name: model.trim(),
          run_id: source.runId,
          artifact_path: source.artifactPath,
          description: trans.__(
            'Best trial %1 of tuning job %2 (%3 = %4)',
            best.trial_number,
            job.name,
            job.objective.metric,
            String(best.objective)
          ),
          tags: {
            'studio.tuning_job_id': job.tuning_job_id,
            'studio.tuning_trial': String(best.trial_number)
          }
        });
        setRegistered(version);
      }
      const created = await EndpointsAPI.create({
        name: endpoint.trim(),
        variants: [
          {
            name: 'primary',
            model: `models:/${version.name}/${version.version}`,
            instance_type: 'local.small',
            instance_count: 1,
            weight: 1
          }
        ]
      });
      setDeployed(created.name);
      nav.openEndpoint?.(created.name);
    });
  };
  return (
    <form
      className="jp-studio-form-box jp-studio-deploy-best"
      role="dialog"
      aria-label={trans.__('Deploy the best trial')}
      data-testid="tuning-deploy-dialog"
      onSubmit={submit}
    >
      <h4>
        {trans.__(
          'Deploy trial %1 (%2 = %3)',
          best?.trial_number ?? '',
          job.objective.metric,
          String(best?.objective ?? '')
        )}
      </h4>
      <label className="jp-studio-form-row">
        <span>{trans.__('Register the model as')}</span>
        <input
          className="jp-mod-styled"
          data-testid="tuning-deploy-model"
          value={model}
          onChange={event => setModel(event.target.value)}
        />
      </label>
      <label className="jp-studio-form-row">
        <span>{trans.__('Endpoint name')}</span>
        <input
          className="jp-mod-styled"
          data-testid="tuning-deploy-endpoint"
          value={endpoint}
          onChange={event => setEndpoint(event.target.value)}
        />
      </label>
      {registered ? (
        <div className="jp-studio-success" data-testid="tuning-deploy-registered">
          {trans.__('Registered %1 version %2', registered.name, registered.version)}
        </div>
      ) : null}
      {deployed ? (
        <div className="jp-studio-success" data-testid="tuning-deployed">
          {trans.__('Endpoint %1 is being created', deployed)}
        </div>
      ) : null}
      <ErrorBox
        message={
          action.error ??
          (source ? null : trans.__('The best trial has no runs:/ model to register'))
        }
        testid="tuning-deploy-error"
      />
      <div className="jp-studio-actions">
        <button
          type="submit"
          className="jp-Button jp-mod-styled jp-mod-accept"
          data-testid="tuning-deploy-submit"
          disabled={action.busy || !source || !model.trim() || !endpoint.trim() || !!deployed}
        >
          {trans.__('Register and deploy')}
        </button>
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-reject"
          data-testid="tuning-deploy-cancel"
          onClick={props.onClose}
        >
          {deployed ? trans.__('Close') : trans.__('Cancel')}
        </button>
      </div>
    </form>
  );
}
