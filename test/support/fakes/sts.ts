/**
 * A local STS GetCallerIdentity (awsQuery, as the installed client speaks it). Each access key
 * id the test registers answers with its own identity; any other signed request is refused
 * as STS refuses an unknown key, with HTTP 403 `InvalidClientTokenId`.
 */
import { AwsFakeError, queryProtocol, startServer, TEST_ACCOUNT, xmlElement } from './http';

export interface FakeSts {
  readonly url: string;
  /** Makes `accessKeyId` sign in as `arn`. */
  addIdentity(accessKeyId: string, arn: string): void;
  close(): Promise<void>;
}

const VERSION = '2011-06-15';

export async function startFakeSts(): Promise<FakeSts> {
  const identities = new Map<string, string>();
  const answer = queryProtocol({
    signingName: 'sts',
    version: VERSION,
    xmlns: `https://sts.amazonaws.com/doc/${VERSION}/`,
    actions: {
      GetCallerIdentity: (_params, context) => {
        const arn = identities.get(context.accessKeyId ?? '');
        if (arn === undefined) {
          throw new AwsFakeError(
            403,
            'InvalidClientTokenId',
            'The security token included in the request is invalid.',
          );
        }
        return [
          xmlElement('Arn', arn),
          xmlElement('UserId', 'AIDAEXAMPLEUSERID'),
          xmlElement('Account', /:(\d{12}):/.exec(arn)?.[1] ?? TEST_ACCOUNT),
        ].join('');
      },
    },
  });
  const server = await startServer(answer);
  return {
    url: server.url,
    addIdentity: (accessKeyId, arn) => identities.set(accessKeyId, arn),
    close: () => server.close(),
  };
}
