/**
 * A read-only JupyterLab drive over job outputs: `StudioJobs:<job_id>/<output name>`.
 *
 * A job's files live in STUDIO_HOME, usually outside the server root, so the contents manager
 * cannot open them. Through this drive an executed notebook opens in a (read-only) notebook panel
 * and an HTML report in JupyterLab's HTML viewer, which sandboxes it (scripts only after "Trust
 * HTML"), instead of being downloaded or shown unstyled by the browser.
 */
import { Signal } from '@lumino/signaling';
import { Contents, ServerConnection } from '@jupyterlab/services';

import { JobsAPI } from '../api';

export const JOB_OUTPUTS_DRIVE = 'StudioJobs';

const MIMETYPES: Record<string, string> = {
  '.html': 'text/html',
  '.htm': 'text/html',
  '.ipynb': 'application/x-ipynb+json',
  '.json': 'application/json',
  '.csv': 'text/csv',
  '.md': 'text/markdown',
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.py': 'text/x-python'
};

function readOnly(): Promise<never> {
  return Promise.reject(new Error('job outputs are read-only: download the file to change it'));
}

/** `<job_id>/<name>` -> [job_id, name]. */
function split(localPath: string): [string, string] {
  const clean = localPath.replace(/^\/+/, '');
  const slash = clean.indexOf('/');
  if (slash < 1 || slash === clean.length - 1) {
    throw new Error(`not a job output path: ${localPath}`);
  }
  return [clean.slice(0, slash), clean.slice(slash + 1)];
}

export class JobOutputsDrive implements Contents.IDrive {
  readonly name = JOB_OUTPUTS_DRIVE;
  readonly serverSettings = ServerConnection.makeSettings();
  readonly fileChanged: Signal<Contents.IDrive, Contents.IChangedArgs> = new Signal(this);
  isDisposed = false;

  /** The drive path of a job's output (what docmanager:open takes). */
  static pathOf(jobId: string, name: string): string {
    return `${JOB_OUTPUTS_DRIVE}:${jobId}/${name}`;
  }

  async get(localPath: string, options?: Contents.IFetchOptions): Promise<Contents.IModel> {
    const [jobId, name] = split(localPath);
    const base = name.split('/').pop() ?? name;
    const ext = base.includes('.') ? base.slice(base.lastIndexOf('.')).toLowerCase() : '';
    const notebook = ext === '.ipynb';
    const wantContent = options?.content !== false;
    const text = wantContent ? await JobsAPI.outputText(jobId, name) : null;
    const now = new Date().toISOString();
    return {
      name: base,
      path: localPath,
      type: notebook ? 'notebook' : 'file',
      writable: false,
      created: now,
      last_modified: now,
      mimetype: MIMETYPES[ext] ?? 'text/plain',
      content: text === null ? null : notebook ? (JSON.parse(text) as unknown) : text,
      format: text === null ? null : notebook ? 'json' : 'text',
      size: text?.length
    };
  }

  getDownloadUrl(localPath: string): Promise<string> {
    const [jobId, name] = split(localPath);
    return Promise.resolve(JobsAPI.outputUrl(jobId, name, true));
  }

  newUntitled(): Promise<Contents.IModel> {
    return readOnly();
  }

  delete(): Promise<void> {
    return readOnly();
  }

  rename(): Promise<Contents.IModel> {
    return readOnly();
  }

  save(): Promise<Contents.IModel> {
    return readOnly();
  }

  copy(): Promise<Contents.IModel> {
    return readOnly();
  }

  createCheckpoint(): Promise<Contents.ICheckpointModel> {
    return Promise.resolve({ id: 'read-only', last_modified: new Date().toISOString() });
  }

  listCheckpoints(): Promise<Contents.ICheckpointModel[]> {
    return Promise.resolve([]);
  }

  restoreCheckpoint(): Promise<void> {
    return readOnly();
  }

  deleteCheckpoint(): Promise<void> {
    return Promise.resolve();
  }

  dispose(): void {
    if (!this.isDisposed) {
      this.isDisposed = true;
      Signal.clearData(this);
    }
  }
}
