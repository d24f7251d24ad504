/**
 * The error box every view shows above its content (nothing when there is no error).
 */
import * as React from 'react';

export function ErrorBox(props: { message: string | null; testid?: string }): JSX.Element | null {
  if (!props.message) {
    return null;
  }
  return (
    <div className="jp-studio-error" role="alert" data-testid={props.testid ?? 'studio-error'}>
      {props.message}
    </div>
  );
}
