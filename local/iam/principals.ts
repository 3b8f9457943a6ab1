import { S3RVER_CREDENTIALS } from '../emulators';
import type { Statement } from '../lambda/template';
import { ACCOUNT_ID } from '../sqs/queues';

/**
 * Who calls the local AWS stand-ins, told apart by the access key of the request's signature (as
 * AWS tells roles apart by their credentials): each function's role, the operator role of the
 * local commands, and the account itself (the stack's own setup and the tests' direct checks),
 * which IAM does not limit.
 */
export interface Principal {
  /** e.g. `publish`, `operator`, `account`. */
  readonly name: string;
  /** As AWS names it in an AccessDenied message. */
  readonly arn: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Undefined for the account itself: every action is allowed. */
  readonly statements?: readonly Statement[];
}

/** The account: what the stack itself and the tests' direct reads act as. */
export const ACCOUNT_PRINCIPAL: Principal = {
  name: 'account',
  arn: `arn:aws:iam::${ACCOUNT_ID}:root`,
  ...S3RVER_CREDENTIALS,
};

/** A role's credentials: fixed per role, so a restarted stack and a command agree on them. */
export function rolePrincipal(name: string, statements: readonly Statement[]): Principal {
  const id = name.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
  return {
    name,
    arn: `arn:aws:sts::${ACCOUNT_ID}:assumed-role/ddor-local-${name}/${name}`,
    accessKeyId: `ASIALOCAL${id}`,
    secretAccessKey: `local-${name}-not-a-secret`,
    statements,
  };
}

/** The credential variables a process acting as `principal` gets. */
export function credentialEnvironment(principal: Principal): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: principal.accessKeyId,
    AWS_SECRET_ACCESS_KEY: principal.secretAccessKey,
  };
}

export class Principals {
  private readonly byKey = new Map<string, Principal>();

  constructor(principals: readonly Principal[]) {
    this.add([ACCOUNT_PRINCIPAL, ...principals]);
  }

  /** The roles are known once the assembly is read, after the gates have started. */
  add(principals: readonly Principal[]): void {
    for (const principal of principals) this.byKey.set(principal.accessKeyId, principal);
  }

  get all(): readonly Principal[] {
    return [...this.byKey.values()];
  }

  find(accessKeyId: string | undefined): Principal | undefined {
    return accessKeyId === undefined ? undefined : this.byKey.get(accessKeyId);
  }
}

/** The access key of a SigV4-signed request: its Authorization header, or a presigned URL's query. */
export function accessKeyOf(authorization: string | undefined, url: URL): string | undefined {
  const fromHeader = /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
  if (fromHeader !== undefined) return fromHeader;
  const fromQuery = url.searchParams.get('X-Amz-Credential');
  return fromQuery?.split('/')[0] ?? undefined;
}
