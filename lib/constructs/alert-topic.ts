import { Annotations, Names, RemovalPolicy } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { Severity } from '../../lambda/core/catalog';
import type { SlackConfig } from '../config';
import { severitiesAtLeast } from '../config';

/** Message attribute values of `notification`, as the detector publishes them. */
export type NotificationKind = 'new' | 'update' | 'summary';

export interface AlertTopicProps {
  /** Addresses subscribed by email; each must confirm the subscription SNS mails it. */
  readonly emails: readonly string[];
  /** Emails carry alerts of this severity and above. */
  readonly emailMinSeverity: Severity;
  /**
   * Email only first notifications and summaries, so a burst of updates to one alert
   * does not flood inboxes.
   */
  readonly emailNewAlertsOnly: boolean;
  /**
   * Slack channel to post alerts to through AWS Chatbot.
   * @default - no Slack integration
   */
  readonly slack?: SlackConfig;
}

/**
 * The subscription filter policy for alert emails. Messages always carry `severity`;
 * `notification` is newer, so a message without it is treated as a new alert rather than
 * dropped. SNS matches a key only when the attribute is present, hence the `$or` with
 * `exists: false` instead of a plain list of values.
 */
export function emailFilterPolicy(
  minSeverity: Severity,
  newAlertsOnly: boolean,
): Record<string, sns.SubscriptionFilter> {
  const policy: Record<string, sns.SubscriptionFilter> = {
    severity: sns.SubscriptionFilter.stringFilter({ allowlist: severitiesAtLeast(minSeverity) }),
  };
  if (newAlertsOnly) {
    const emailed: NotificationKind[] = ['new', 'summary'];
    policy.$or = new sns.SubscriptionFilter([
      { notification: emailed },
      { notification: [{ exists: false }] },
    ]);
  }
  return policy;
}

/**
 * The SNS topic every alert is published to, its KMS key, and the human subscribers:
 * email addresses (filtered) and, optionally, a Slack channel through AWS Chatbot.
 */
export class AlertTopic extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  readonly slackChannel?: chatbot.SlackChannelConfiguration;

  constructor(scope: Construct, id: string, props: AlertTopicProps) {
    super(scope, id);

    // Only the detector publishes, and its role gets key access through a grant; no
    // service principal needs the key.
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts sgwatch alert messages in SNS',
      enableKeyRotation: true,
      // Messages live in SNS only until delivered; nothing stays encrypted under this key.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'sgwatch alerts',
      masterKey: this.key,
      enforceSSL: true,
    });

    const filterPolicy = emailFilterPolicy(props.emailMinSeverity, props.emailNewAlertsOnly);
    for (const email of props.emails) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email, { filterPolicy }));
    }

    if (props.slack !== undefined) {
      this.slackChannel = new SlackAlerts(this, 'Slack', {
        slack: props.slack,
        topic: this.topic,
      }).channel;
    }

    if (props.emails.length === 0) {
      Annotations.of(this).addWarningV2(
        '@sgwatch/alert-topic:no-email',
        props.slack === undefined
          ? 'No alertEmails configured and no Slack channel: alerts are recorded and published, but no person is subscribed to them.'
          : 'No alertEmails configured: alerts reach Slack only.',
      );
    }
  }
}

interface SlackAlertsProps {
  readonly slack: SlackConfig;
  readonly topic: sns.ITopic;
}

/** An AWS Chatbot Slack channel that only receives notifications and can run nothing. */
class SlackAlerts extends Construct {
  readonly channel: chatbot.SlackChannelConfiguration;

  constructor(scope: Construct, id: string, props: SlackAlertsProps) {
    super(scope, id);

    // Posting notifications needs no IAM permissions, so the channel role gets none. Its
    // trust has no aws:SourceAccount or aws:SourceArn: AWS Chatbot documents none for channel
    // roles (its controls are guardrails and aws:ChatbotSourceArn in SCPs), a condition it
    // does not send would silence the channel, and a role with no permissions behind a
    // deny-all guardrail gives a deputy nothing to use.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
      description: 'sgwatch Slack channel role: notifications only, no permissions',
    });

    // Without a guardrail Chatbot applies AdministratorAccess to commands typed in the
    // channel. This one denies everything, so the channel can never act on the account.
    const guardrail = new iam.ManagedPolicy(this, 'Guardrail', {
      description: 'sgwatch Slack channel guardrail: no actions from Slack',
      statements: [
        new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['*'], resources: ['*'] }),
      ],
    });

    this.channel = new chatbot.SlackChannelConfiguration(this, 'Channel', {
      // Chatbot requires a name; derive a unique one instead of hard-coding it.
      slackChannelConfigurationName: Names.uniqueResourceName(this, { maxLength: 128 }),
      slackWorkspaceId: props.slack.workspaceId,
      slackChannelId: props.slack.channelId,
      notificationTopics: [props.topic],
      role,
      guardrailPolicies: [guardrail],
      userRoleRequired: false,
      loggingLevel: chatbot.LoggingLevel.ERROR,
    });
  }
}
