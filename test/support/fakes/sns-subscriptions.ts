/**
 * A local SNS ListSubscriptionsByTopic, for checks on who receives a topic's messages.
 * (Publish lives in test/support/local-sns.ts; a test needs one or the other behind
 * AWS_ENDPOINT_URL_SNS.) The installed client speaks awsQuery. As in SNS, a subscription
 * awaiting confirmation lists the literal `PendingConfirmation` where a confirmed one has
 * its ARN, pages hold up to 100 subscriptions, and an unknown topic is HTTP 404 `NotFound`.
 */
import { randomUUID } from 'node:crypto';
import {
  AwsFakeError,
  pageToken,
  queryProtocol,
  readPageToken,
  startServer,
  TEST_ACCOUNT,
  xmlElement,
} from './http';

export interface FakeSubscription {
  readonly protocol: string;
  readonly endpoint: string;
  readonly confirmed: boolean;
}

export interface FakeSnsSubscriptions {
  readonly url: string;
  /** Creates a topic in `region` (default us-east-1); returns its ARN. */
  createTopic(name: string, region?: string): string;
  subscribe(topicArn: string, subscription: FakeSubscription): void;
  unsubscribeAll(topicArn: string): void;
  close(): Promise<void>;
}

const VERSION = '2010-03-31';
/** The documented page size of ListSubscriptionsByTopic. */
const PAGE_SIZE = 100;

export async function startFakeSnsSubscriptions(
  options: { pageSize?: number } = {},
): Promise<FakeSnsSubscriptions> {
  const pageSize = options.pageSize ?? PAGE_SIZE;
  const topics = new Map<
    string,
    { region: string; subscriptions: (FakeSubscription & { arn: string })[] }
  >();

  const server = await startServer(
    queryProtocol({
      signingName: 'sns',
      version: VERSION,
      xmlns: `http://sns.amazonaws.com/doc/${VERSION}/`,
      actions: {
        ListSubscriptionsByTopic(params, { region }) {
          const topicArn = params.get('TopicArn') ?? '';
          if (topicArn === '') {
            throw new AwsFakeError(400, 'InvalidParameter', 'Invalid parameter: TopicArn');
          }
          // SNS refuses a topic from another Region outright rather than looking for it.
          if (topicArn.split(':')[3] !== region) {
            throw new AwsFakeError(400, 'InvalidParameter', 'Invalid parameter: TopicArn');
          }
          const topic = topics.get(topicArn);
          if (topic === undefined) throw new AwsFakeError(404, 'NotFound', 'Topic does not exist');
          const offset = readPageToken(params.get('NextToken'), topicArn, 'InvalidParameter');
          const page = topic.subscriptions.slice(offset, offset + pageSize);
          const next =
            offset + pageSize < topic.subscriptions.length
              ? pageToken(offset + pageSize, topicArn)
              : undefined;
          return (
            '<Subscriptions>' +
            page
              .map(
                (s) =>
                  '<member>' +
                  xmlElement('TopicArn', topicArn) +
                  xmlElement('Protocol', s.protocol) +
                  xmlElement('SubscriptionArn', s.confirmed ? s.arn : 'PendingConfirmation') +
                  xmlElement('Owner', TEST_ACCOUNT) +
                  xmlElement('Endpoint', s.endpoint) +
                  '</member>',
              )
              .join('') +
            '</Subscriptions>' +
            xmlElement('NextToken', next)
          );
        },
      },
    }),
  );

  return {
    url: server.url,
    createTopic(name, region = 'us-east-1') {
      const arn = `arn:aws:sns:${region}:${TEST_ACCOUNT}:${name}`;
      topics.set(arn, { region, subscriptions: [] });
      return arn;
    },
    subscribe(topicArn, subscription) {
      const topic = topics.get(topicArn);
      if (topic === undefined) throw new Error(`no fake topic ${topicArn}`);
      topic.subscriptions.push({ ...subscription, arn: `${topicArn}:${randomUUID()}` });
    },
    unsubscribeAll(topicArn) {
      const topic = topics.get(topicArn);
      if (topic === undefined) throw new Error(`no fake topic ${topicArn}`);
      topic.subscriptions.length = 0;
    },
    close: () => server.close(),
  };
}
