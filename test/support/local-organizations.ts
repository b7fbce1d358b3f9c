/**
 * A local AWS Organizations endpoint for ListAccounts, in the service's JSON 1.1 protocol
 * (`X-Amz-Target: AWSOrganizationsV20161128.ListAccounts`), as strict as its reference:
 * `MaxResults` from 1 to 20, a `NextToken` it issued, and the errors the service answers
 * outside a management account (`AccessDeniedException`) or an organization
 * (`AWSOrganizationsNotInUseException`). It counts the requests it answered.
 */
import { createServer } from 'node:http';
import { closeServer, listenOnLoopback, readLimitedBody } from './loopback';

export interface LocalOrganizations {
  readonly url: string;
  /** ListAccounts requests answered so far. */
  readonly requests: () => number;
  setAccounts(ids: readonly string[]): void;
  /** Every later request fails as the service does from where it is asked. */
  refuse(error: 'AccessDeniedException' | 'AWSOrganizationsNotInUseException' | undefined): void;
  close(): Promise<void>;
}

const TARGET = 'AWSOrganizationsV20161128.ListAccounts';

export async function startLocalOrganizations(): Promise<LocalOrganizations> {
  let accounts: string[] = [];
  let refusal: string | undefined;
  let requests = 0;
  const server = createServer((request, response) => {
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(body));
    };
    readLimitedBody(request, 64 * 1024, () => new Error('request over 64 KB'))
      .then((buffer) => {
        const text = buffer.toString('utf8');
        requests += 1;
        if (request.headers['x-amz-target'] !== TARGET) {
          answer(400, { __type: 'UnknownOperationException', Message: 'only ListAccounts' });
          return;
        }
        if (refusal !== undefined) {
          answer(400, { __type: refusal, Message: `local Organizations: ${refusal}` });
          return;
        }
        const input = JSON.parse(text === '' ? '{}' : text) as {
          MaxResults?: number;
          NextToken?: string;
        };
        const max = input.MaxResults ?? 20;
        if (!Number.isInteger(max) || max < 1 || max > 20) {
          answer(400, {
            __type: 'InvalidInputException',
            Message: 'MaxResults must be from 1 to 20',
          });
          return;
        }
        const start = input.NextToken === undefined ? 0 : Number(input.NextToken.slice(5));
        if (input.NextToken !== undefined && !/^page-\d+$/.test(input.NextToken)) {
          answer(400, {
            __type: 'InvalidInputException',
            Message: 'NextToken is not one we issued',
          });
          return;
        }
        const page = accounts.slice(start, start + max);
        answer(200, {
          Accounts: page.map((id) => ({
            Id: id,
            Arn: `arn:aws:organizations::111122223333:account/o-a1b2c3d4e5/${id}`,
            Name: `member-${id}`,
            Status: 'ACTIVE',
          })),
          ...(start + max < accounts.length ? { NextToken: `page-${start + max}` } : {}),
        });
      })
      .catch(() => answer(500, { __type: 'ServiceException', Message: 'read failed' }));
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    setAccounts: (ids) => {
      accounts = [...ids];
    },
    refuse: (error) => {
      refusal = error;
    },
    close: () => closeServer(server),
  };
}
