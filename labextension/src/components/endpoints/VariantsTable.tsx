/**
 * An endpoint's variants as a table: the current ones with replica health, or a configuration's.
 */
import * as React from 'react';

import { IEndpointReplica, IEndpointVariant, parseModelUri } from '../../api';
import { IEndpointsNav } from '../../tokens';
import { LinkButton } from '../common/controls';

/**
 * Variants as a table (the current ones, or the previous configuration's). With `replicas`, the
 * count column shows healthy/desired replicas; without, the desired count.
 */
export function VariantsTable(props: {
  nav: IEndpointsNav;
  variants: Required<IEndpointVariant>[];
  replicas?: IEndpointReplica[];
  testid: string;
  rowTestid: string;
}): JSX.Element {
  const { nav, variants, replicas } = props;
  const trans = nav.trans;
  return (
    <table className="jp-studio-table" data-testid={props.testid}>
      <thead>
        <tr>
          <th>{trans.__('Variant')}</th>
          <th>{trans.__('Model')}</th>
          <th>{trans.__('Instance type')}</th>
          <th>{replicas ? trans.__('Replicas (healthy/desired)') : trans.__('Instances')}</th>
          <th>{trans.__('Weight')}</th>
        </tr>
      </thead>
      <tbody>
        {variants.map(v => {
          const parsed = parseModelUri(v.model);
          const healthy = replicas?.filter(
            r => r.variant === v.name && r.status === 'Healthy'
          ).length;
          return (
            <tr
              key={v.name}
              data-testid={props.rowTestid}
              data-variant={v.name}
              data-model={v.model}
            >
              <td>{v.name}</td>
              <td>
                {parsed ? (
                  <LinkButton onClick={() => nav.openModel(parsed.name, parsed.version)}>
                    {v.model}
                  </LinkButton>
                ) : (
                  v.model
                )}
              </td>
              <td>{v.instance_type}</td>
              {replicas ? (
                <td data-testid="endpoint-variant-replicas">
                  {healthy}/{v.instance_count}
                </td>
              ) : (
                <td>{v.instance_count}</td>
              )}
              <td>{v.weight}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
