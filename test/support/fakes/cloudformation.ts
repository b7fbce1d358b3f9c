/**
 * A local CloudFormation DescribeStacks, enough for commands that find a deployed stack's
 * resources through its outputs. The installed client speaks awsQuery (form-encoded
 * `Action=DescribeStacks&Version=2010-05-15`, XML answers); a stack that does not exist is
 * the service's generic `ValidationError` with "Stack with id X does not exist".
 */
import { randomUUID } from 'node:crypto';
import { AwsFakeError, queryProtocol, startServer, TEST_ACCOUNT, xmlElement } from './http';

export interface FakeStack {
  readonly name: string;
  /** Default us-east-1. */
  readonly region?: string;
  /** Default CREATE_COMPLETE. */
  readonly status?: string;
  readonly outputs?: Readonly<Record<string, string>>;
}

export interface FakeCloudFormation {
  readonly url: string;
  /** Creates or replaces a stack; returns its ARN. */
  putStack(stack: FakeStack): string;
  deleteStack(name: string, region?: string): void;
  close(): Promise<void>;
}

interface StoredStack {
  readonly name: string;
  readonly id: string;
  readonly region: string;
  readonly status: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly createdAt: string;
}

const VERSION = '2010-05-15';

export async function startFakeCloudFormation(): Promise<FakeCloudFormation> {
  const stacks = new Map<string, StoredStack>();
  const key = (region: string, name: string) => `${region}/${name}`;

  const stackXml = (stack: StoredStack) =>
    '<member>' +
    xmlElement('StackName', stack.name) +
    xmlElement('StackId', stack.id) +
    xmlElement('CreationTime', stack.createdAt) +
    xmlElement('StackStatus', stack.status) +
    '<Outputs>' +
    Object.entries(stack.outputs)
      .map(
        ([outputKey, value]) =>
          `<member>${xmlElement('OutputKey', outputKey)}${xmlElement('OutputValue', value)}</member>`,
      )
      .join('') +
    '</Outputs><Tags/>' +
    '</member>';

  const server = await startServer(
    queryProtocol({
      signingName: 'cloudformation',
      version: VERSION,
      xmlns: `http://cloudformation.amazonaws.com/doc/${VERSION}/`,
      actions: {
        DescribeStacks(params, { region }) {
          const wanted = params.get('StackName');
          let found: StoredStack[];
          if (wanted === null || wanted === '') {
            found = [...stacks.values()].filter((stack) => stack.region === region);
          } else {
            // By name or by stack ARN, in the Region the request went to.
            const match = [...stacks.values()].find(
              (stack) => stack.region === region && (stack.name === wanted || stack.id === wanted),
            );
            if (match === undefined) {
              throw new AwsFakeError(
                400,
                'ValidationError',
                `Stack with id ${wanted} does not exist`,
              );
            }
            found = [match];
          }
          return `<Stacks>${found.map(stackXml).join('')}</Stacks>`;
        },
      },
    }),
  );

  return {
    url: server.url,
    putStack(stack) {
      const region = stack.region ?? 'us-east-1';
      const id = `arn:aws:cloudformation:${region}:${TEST_ACCOUNT}:stack/${stack.name}/${randomUUID()}`;
      stacks.set(key(region, stack.name), {
        name: stack.name,
        id,
        region,
        status: stack.status ?? 'CREATE_COMPLETE',
        outputs: stack.outputs ?? {},
        createdAt: new Date().toISOString(),
      });
      return id;
    },
    deleteStack(name, region = 'us-east-1') {
      stacks.delete(key(region, name));
    },
    close: () => server.close(),
  };
}
