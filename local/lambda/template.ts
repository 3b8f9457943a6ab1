import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ENTRY_METADATA, FUNCTIONS, ROLE_METADATA } from '#config/runtime';
import { ACCOUNT_ID, REGION } from '../sqs/queues';

/**
 * Reads the synthesized cloud assembly (local/assembly.ts) as the local stack needs it: each
 * function's bundle, handler, timeout, memory, environment and the IAM statements of its role,
 * and the operator role's statements, with every CloudFormation intrinsic resolved to the local
 * resource it stands for. Nothing here is a second list of grants: what the template says is
 * what the local stack enforces.
 */

export type FunctionKey = keyof typeof FUNCTIONS;

/** An IAM statement with its values resolved; a resource that names nothing local is kept as `unresolved:…`. */
export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** A function's name in the local stack (and in its Lambda API), e.g. `ddor-publish`. */
export function localFunctionName(key: FunctionKey): string {
  return `ddor-${key}`;
}

export interface FunctionDefinition {
  readonly key: FunctionKey;
  /** Its local name (`localFunctionName`). */
  readonly name: string;
  /** The function's logical id in its stack, e.g. `PublisherFunction1938950E`. */
  readonly logicalId: string;
  /** The bundle's absolute path (`index.mjs` of the function's code asset). */
  readonly bundle: string;
  /** The handler's export name. */
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** Reserved concurrency, when the template sets it. */
  readonly reservedConcurrency?: number;
  /** The template's environment, each value resolved to its local counterpart. */
  readonly environment: Readonly<Record<string, string>>;
  /** Its role's statements. */
  readonly statements: readonly Statement[];
}

export interface LocalAssembly {
  readonly functions: Readonly<Record<FunctionKey, FunctionDefinition>>;
  /** The SES identities the templates verify (domains or addresses). */
  readonly identities: readonly string[];
  /** The operator role's statements (the `--deployed` commands' role; locally, every command's). */
  readonly operator: readonly Statement[];
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Template {
  Resources: Record<string, { Type: string; Properties?: JsonObject; Metadata?: JsonObject }>;
  Outputs?: Record<string, { Value: Json; Export?: { Name: Json } }>;
}

/** An intrinsic with no local meaning (a log group, a queue only deployed, an alarm topic). */
class Unresolved extends Error {}

const PSEUDO: Record<string, string> = {
  'AWS::AccountId': ACCOUNT_ID,
  'AWS::Region': REGION,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'ddor-local',
  'AWS::NoValue': '',
};

/** What a resource of the template is locally, found through the env vars that name it. */
interface LocalResource {
  readonly ref: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** Local attributes of a resource bound to a function by an env var whose local value is `ref`. */
function localResource(type: string, ref: string, properties: JsonObject | undefined): LocalResource {
  switch (type) {
    case 'AWS::DynamoDB::Table':
      return { ref, attributes: { Arn: `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/${ref}` } };
    case 'AWS::S3::Bucket':
      return { ref, attributes: { Arn: `arn:aws:s3:::${ref}` } };
    case 'AWS::SQS::Queue': {
      const name = ref.split('/').pop() ?? ref;
      return { ref, attributes: { Arn: `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${name}`, QueueName: name } };
    }
    case 'AWS::SES::EmailIdentity':
      return { ref: String(properties?.EmailIdentity ?? ref), attributes: {} };
    default:
      return { ref, attributes: {} };
  }
}

class Resolver {
  /** `${stack}/${logicalId}` → its local resource. */
  readonly resources = new Map<string, LocalResource>();

  constructor(readonly templates: Readonly<Record<string, Template>>) {}

  template(stack: string): Template {
    const template = this.templates[stack];
    if (template === undefined) throw new Unresolved(`no stack ${stack}`);
    return template;
  }

  /** The `{Ref}` or `{Fn::GetAtt}` an env value names, following stack outputs. */
  target(stack: string, value: Json): { stack: string; logicalId: string; attribute?: string } | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    if (typeof value.Ref === 'string' && !value.Ref.startsWith('AWS::'))
      return { stack, logicalId: value.Ref };
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && typeof getAtt[1] === 'string')
      return { stack, logicalId: getAtt[0], attribute: getAtt[1] };
    const output = this.output(value);
    return output === undefined ? undefined : this.target(output.stack, output.value);
  }

  output(value: JsonObject): { stack: string; value: Json } | undefined {
    const get = value['Fn::GetStackOutput'];
    if (get !== undefined && get !== null && typeof get === 'object' && !Array.isArray(get)) {
      const stack = String(get.StackName);
      const out = this.template(stack).Outputs?.[String(get.OutputName)];
      if (out === undefined) throw new Unresolved(`no output ${String(get.OutputName)} in ${stack}`);
      return { stack, value: out.Value };
    }
    const imported = value['Fn::ImportValue'];
    if (typeof imported === 'string') {
      for (const [stack, template] of Object.entries(this.templates)) {
        for (const out of Object.values(template.Outputs ?? {})) {
          if (out.Export?.Name === imported) return { stack, value: out.Value };
        }
      }
      throw new Unresolved(`no export ${imported}`);
    }
    return undefined;
  }

  /** Records that the resource an env var names is, locally, `ref`. */
  bind(stack: string, raw: Json, ref: string): void {
    const target = this.target(stack, raw);
    if (target === undefined || target.attribute !== undefined) return;
    const resource = this.template(target.stack).Resources[target.logicalId];
    if (resource === undefined) return;
    this.resources.set(
      `${target.stack}/${target.logicalId}`,
      localResource(resource.Type, ref, resource.Properties),
    );
    // A queue's dead-letter queue is, locally, the queue's name with `-dlq` (local/stack.ts).
    const redrive = resource.Properties?.RedrivePolicy;
    const dlq = isObject(redrive)
      ? this.target(target.stack, redrive.deadLetterTargetArn ?? null)
      : undefined;
    const dlqResource = dlq === undefined ? undefined : this.template(dlq.stack).Resources[dlq.logicalId];
    if (resource.Type === 'AWS::SQS::Queue' && dlq !== undefined && dlqResource !== undefined) {
      this.resources.set(
        `${dlq.stack}/${dlq.logicalId}`,
        localResource(dlqResource.Type, `${ref}-dlq`, dlqResource.Properties),
      );
    }
  }

  resource(stack: string, logicalId: string): LocalResource {
    const known = this.resources.get(`${stack}/${logicalId}`);
    if (known !== undefined) return known;
    const resource = this.template(stack).Resources[logicalId];
    if (resource?.Type === 'AWS::SES::EmailIdentity')
      return localResource(resource.Type, '', resource.Properties);
    throw new Unresolved(`${logicalId} (${resource?.Type ?? 'unknown'}) has no local counterpart`);
  }

  resolve(stack: string, value: Json): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (value === null || Array.isArray(value))
      throw new Unresolved(`cannot resolve ${JSON.stringify(value)}`);
    if (typeof value.Ref === 'string') {
      const pseudo = PSEUDO[value.Ref];
      if (pseudo !== undefined) return pseudo;
      return this.resource(stack, value.Ref).ref;
    }
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) {
      const [logicalId, attribute] = getAtt.map(String) as [string, string];
      const resolved = this.resource(stack, logicalId).attributes[attribute];
      if (resolved === undefined) throw new Unresolved(`${logicalId}.${attribute} has no local counterpart`);
      return resolved;
    }
    const join = value['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      const separator = join[0];
      return join[1].map((part) => this.resolve(stack, part)).join(separator);
    }
    const sub = value['Fn::Sub'];
    if (typeof sub === 'string') {
      return sub.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
        const [logicalId, attribute] = name.split('.');
        if (logicalId === undefined) return '';
        return attribute === undefined
          ? this.resolve(stack, { Ref: logicalId })
          : this.resolve(stack, { 'Fn::GetAtt': [logicalId, attribute] });
      });
    }
    const output = this.output(value);
    if (output !== undefined) return this.resolve(output.stack, output.value);
    throw new Unresolved(`cannot resolve ${JSON.stringify(value).slice(0, 200)}`);
  }

  /** A resource value, or an `unresolved:` marker that matches no request. */
  resolveResource(stack: string, value: Json): string {
    try {
      return this.resolve(stack, value);
    } catch (error) {
      if (error instanceof Unresolved) return `unresolved:${error.message}`;
      throw error;
    }
  }

  statements(stack: string, roleLogicalId: string): Statement[] {
    const template = this.template(stack);
    const documents: Json[] = [];
    const role = template.Resources[roleLogicalId];
    for (const policy of asArray(role?.Properties?.Policies))
      if (isObject(policy)) documents.push(policy.PolicyDocument ?? null);
    if (asArray(role?.Properties?.ManagedPolicyArns).length > 0) {
      throw new Error(`role ${roleLogicalId} has managed policies, which the local stack cannot read`);
    }
    for (const resource of Object.values(template.Resources)) {
      if (resource.Type !== 'AWS::IAM::Policy') continue;
      const roles = asArray(resource.Properties?.Roles);
      if (roles.some((r) => isObject(r) && r.Ref === roleLogicalId))
        documents.push(resource.Properties?.PolicyDocument ?? null);
    }
    return documents.flatMap((document) =>
      isObject(document)
        ? asArray(document.Statement).flatMap((statement) =>
            isObject(statement) ? [this.statement(stack, statement)] : [],
          )
        : [],
    );
  }

  statement(stack: string, statement: JsonObject): Statement {
    if (statement.NotAction !== undefined || statement.NotResource !== undefined) {
      throw new Error('NotAction and NotResource are not modelled by the local stack');
    }
    const condition = statement.Condition;
    const resolved: Statement = {
      Effect: statement.Effect === 'Deny' ? 'Deny' : 'Allow',
      Action: asArray(statement.Action).map(String),
      Resource: asArray(statement.Resource).map((resource) => this.resolveResource(stack, resource)),
      ...(isObject(condition)
        ? {
            Condition: Object.fromEntries(
              Object.entries(condition).map(([operator, values]) => [
                operator,
                Object.fromEntries(
                  Object.entries(isObject(values) ? values : {}).map(([key, value]) => [
                    key,
                    Array.isArray(value)
                      ? value.map((item) => this.resolve(stack, item))
                      : this.resolve(stack, value),
                  ]),
                ),
              ]),
            ),
          }
        : {}),
    };
    return resolved;
  }
}

function asArray(value: Json | undefined): Json[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function isObject(value: Json | undefined): value is JsonObject {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value);
}

async function readTemplates(dir: string): Promise<Record<string, Template>> {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const templates: Record<string, Template> = {};
  for (const [name, artifact] of Object.entries(manifest.artifacts)) {
    if (artifact.type !== 'aws:cloudformation:stack' || artifact.properties?.templateFile === undefined)
      continue;
    templates[name] = JSON.parse(await readFile(join(dir, artifact.properties.templateFile), 'utf8'));
  }
  return templates;
}

/**
 * The functions and the operator role of the assembly in `dir`, resolved against `local`: the
 * local value of every env var that names a resource (table names, bucket names, queue URLs,
 * SITE_URL, …). An env var that names a resource with no local value is an error: the local
 * stack would otherwise run a function the CDK app does not deploy.
 */
export async function readAssembly(
  dir: string,
  local: Readonly<Record<string, string>>,
): Promise<LocalAssembly> {
  const templates = await readTemplates(dir);
  const resolver = new Resolver(templates);
  const byEntry = new Map<string, FunctionKey>(
    (Object.entries(FUNCTIONS) as [FunctionKey, (typeof FUNCTIONS)[FunctionKey]][]).map(([key, settings]) => [
      settings.entry,
      key,
    ]),
  );
  const found: {
    stack: string;
    logicalId: string;
    key: FunctionKey;
    properties: JsonObject;
    asset: string;
  }[] = [];
  let operatorRole: { stack: string; logicalId: string } | undefined;
  for (const [stack, template] of Object.entries(templates)) {
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type === 'AWS::IAM::Role' && resource.Metadata?.[ROLE_METADATA] === 'operator') {
        operatorRole = { stack, logicalId };
      }
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const entry = resource.Metadata?.[ENTRY_METADATA];
      if (typeof entry !== 'string') continue;
      const key = byEntry.get(entry);
      if (key === undefined) throw new Error(`${logicalId} runs ${entry}, which FUNCTIONS does not list`);
      const asset = resource.Metadata?.['aws:asset:path'];
      if (typeof asset !== 'string') throw new Error(`${logicalId} has no code asset in the assembly`);
      found.push({ stack, logicalId, key, properties: resource.Properties ?? {}, asset });
    }
  }
  // First every binding, so a policy may name a resource another function's env var binds.
  const variables = (properties: JsonObject): JsonObject => {
    const environment = properties.Environment;
    const vars = isObject(environment) ? environment.Variables : undefined;
    return isObject(vars) ? vars : {};
  };
  for (const { stack, logicalId, key, properties } of found) {
    const name = localFunctionName(key);
    resolver.resources.set(`${stack}/${logicalId}`, {
      ref: name,
      attributes: { Arn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${name}` },
    });
    for (const [name, raw] of Object.entries(variables(properties))) {
      const value = local[name];
      if (typeof raw !== 'string' && value !== undefined) resolver.bind(stack, raw, value);
    }
  }
  const functions: Partial<Record<FunctionKey, FunctionDefinition>> = {};
  for (const { stack, logicalId, key, properties, asset } of found) {
    if (functions[key] !== undefined)
      throw new Error(`two functions of the assembly run ${FUNCTIONS[key].entry}`);
    const environment: Record<string, string> = {};
    for (const [name, raw] of Object.entries(variables(properties))) {
      if (typeof raw === 'string') environment[name] = raw;
      else {
        const value = local[name];
        if (value === undefined)
          throw new Error(`${logicalId}: the local stack has no value for ${name}, which the template sets`);
        environment[name] = value;
      }
    }
    // What Lambda sets from the function's logging config: Powertools takes its level from it.
    const logging = properties.LoggingConfig as { LogFormat?: Json; ApplicationLogLevel?: Json } | undefined;
    if (typeof logging?.LogFormat === 'string') environment.AWS_LAMBDA_LOG_FORMAT = logging.LogFormat;
    if (logging?.LogFormat === 'JSON' && typeof logging.ApplicationLogLevel === 'string')
      environment.AWS_LAMBDA_LOG_LEVEL = logging.ApplicationLogLevel;
    const role = properties.Role;
    const roleTarget = resolver.target(stack, role ?? null);
    if (roleTarget === undefined) throw new Error(`${logicalId} has no role of the stack`);
    const [file, handler] = String(properties.Handler ?? 'index.handler').split('.') as [string, string];
    const reserved = properties.ReservedConcurrentExecutions;
    functions[key] = {
      key,
      name: localFunctionName(key),
      logicalId,
      bundle: join(dir, asset, `${file}.mjs`),
      handler,
      timeoutSeconds: Number(properties.Timeout ?? 3),
      memoryMb: Number(properties.MemorySize ?? 128),
      ...(typeof reserved === 'number' ? { reservedConcurrency: reserved } : {}),
      environment,
      statements: resolver.statements(roleTarget.stack, roleTarget.logicalId),
    };
  }
  const missing = Object.keys(FUNCTIONS).filter((key) => functions[key as FunctionKey] === undefined);
  if (missing.length > 0) throw new Error(`the assembly in ${dir} has no function for ${missing.join(', ')}`);
  const identities = Object.values(templates).flatMap((template) =>
    Object.values(template.Resources).flatMap((resource) =>
      resource.Type === 'AWS::SES::EmailIdentity' && typeof resource.Properties?.EmailIdentity === 'string'
        ? [resource.Properties.EmailIdentity]
        : [],
    ),
  );
  return {
    functions: functions as Record<FunctionKey, FunctionDefinition>,
    identities,
    operator:
      operatorRole === undefined ? [] : resolver.statements(operatorRole.stack, operatorRole.logicalId),
  };
}
