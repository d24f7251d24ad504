/**
 * "Deploy best": register the best trial's model (POST /studio/api/models with its run and the
 * model's name there) and create an endpoint serving that version (POST /studio/api/endpoints),
 * names asked in a small dialog. A registered version is kept: if the endpoint is refused, a retry
 * does not register again.
 */
import * as React from 'react';

import {
  EndpointsAPI,
  ExperimentsAPI,
  IDescribeTuningJob,
  ITuningTrial,
  ModelsAPI,
  parseModelUri
} from '../../api';
import { formatValue } from '../../format';
import { ITuningNav } from '../../tokens';
import { defaultEndpointName } from '../endpoints/CreateEndpointForm';
import { ErrorBox } from '../common/ErrorBox';
import { useAction } from '../common/hooks';

/** What registering a trial's model takes: its run and the model's name (artifact path) there. */
interface IModelSource {
  runId: string;
  artifactPath: string;
}

/**
 * Where the trial's model is: `runs:/<run>/<path>` says it; a logged model (`models:/m-<id>`,
 * MLflow 3) is found by its URI among the run's logged models; a registered version
 * (`models:/<name>/<version>`, the template's register_as) needs no registering (null).
 */
export async function modelSource(trial: ITuningTrial): Promise<IModelSource | null> {
  const uri = trial.model_uri ?? '';
  const runs = /^runs:\/([^/]+)\/(.+)$/.exec(uri);
  if (runs) {
    return { runId: runs[1], artifactPath: runs[2] };
  }
  if (parseModelUri(uri)) {
    return null;
  }
  if (!trial.mlflow_run_id) {
    throw new Error(`trial ${trial.trial_number} has no MLflow run to register ${uri} from`);
  }
  const listing = await ExperimentsAPI.listArtifacts(trial.mlflow_run_id);
  const logged = listing.logged_models.find(m => m.model_uri === uri);
  if (!logged) {
    throw new Error(`run ${trial.mlflow_run_id} has no logged model ${uri}`);
  }
  return { runId: trial.mlflow_run_id, artifactPath: logged.name };
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
  /** The version registered by this dialog: `models:/<name>/<version>`. */
  const [registered, setRegistered] = React.useState<{ name: string; uri: string } | null>(null);
  const [deployed, setDeployed] = React.useState<string | null>(null);
  const action = useAction();
  const modelUri = best?.model_uri ?? null;
  const alreadyRegistered = !!modelUri && !!parseModelUri(modelUri);
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    if (!best || !modelUri) {
      return;
    }
    void action.run(async () => {
      let target = registered?.name === model.trim() ? registered.uri : null;
      const source = target ? null : await modelSource(best);
      if (!target && !source) {
        target = modelUri; // already a registered version (the template's register_as)
      }
      if (!target && source) {
        const version = await ModelsAPI.register({
          name: model.trim(),
          run_id: source.runId,
          artifact_path: source.artifactPath,
          description: trans.__(
            'Best trial %1 of tuning job %2 (%3 = %4)',
            best.trial_number,
            job.name,
            job.objective.metric,
            formatValue(best.objective)
          ),
          tags: {
            'studio.tuning_job_id': job.tuning_job_id,
            'studio.tuning_trial': String(best.trial_number)
          }
        });
        target = `models:/${version.name}/${version.version}`;
        setRegistered({ name: version.name, uri: target });
      }
      const created = await EndpointsAPI.create({
        name: endpoint.trim(),
        variants: [
          {
            name: 'primary',
            model: target as string,
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
          formatValue(best?.objective)
        )}
      </h4>
      {alreadyRegistered ? (
        <div className="jp-studio-hint">
          {trans.__('Its model is registered already: %1', modelUri ?? '')}
        </div>
      ) : (
        <label className="jp-studio-form-row">
          <span>{trans.__('Register the model as')}</span>
          <input
            className="jp-mod-styled"
            data-testid="tuning-deploy-model"
            value={model}
            onChange={event => setModel(event.target.value)}
          />
        </label>
      )}
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
          {trans.__('Registered %1', registered.uri)}
        </div>
      ) : null}
      {deployed ? (
        <div className="jp-studio-success" data-testid="tuning-deployed">
          {trans.__('Endpoint %1 is being created', deployed)}
        </div>
      ) : null}
      <ErrorBox message={action.error} testid="tuning-deploy-error" />
      <div className="jp-studio-actions">
        <button
          type="submit"
          className="jp-Button jp-mod-styled jp-mod-accept"
          data-testid="tuning-deploy-submit"
          disabled={action.busy || !modelUri || !model.trim() || !endpoint.trim() || !!deployed}
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
