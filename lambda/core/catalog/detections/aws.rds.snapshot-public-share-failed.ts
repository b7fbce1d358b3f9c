import type { Detection } from '../detection';
import { EXFILTRATION, TRANSFER_TO_CLOUD_ACCOUNT } from '../mitre';
import { PUBLIC_SHARE_CALLS, isPublicShare, shareFindings } from './aws.datastore.snapshot-shared';

/**
 * Failed attempts to make an RDS snapshot public. RDS refuses to make an encrypted snapshot
 * public, and a denied call means the principal tried without the right; either way someone
 * wanted the data readable by every AWS account, which says more about intent than most
 * successful calls do. Failed shares with one account are left out on purpose: backup
 * pipelines retry those routinely (a missing key grant, a throttled call), while nothing
 * legitimate needs to try `all` and be told no.
 */
export const snapshotPublicShareFailed: Detection = {
  id: 'aws.rds.snapshot-public-share-failed',
  pack: 'exfiltration',
  title: 'Failed attempt to make a DB snapshot public',
  shortTitle: 'Snapshot public share failed',
  description:
    'Someone asked RDS to let every AWS account restore a DB or cluster snapshot and the call ' +
    'failed: access was denied, or RDS refused (it never makes an encrypted snapshot public). ' +
    'Nothing was shared, but the attempt shows someone trying to move a database out of the ' +
    'account.',
  severity: 'low',
  riskScore: 21,
  mitre: [{ tactic: EXFILTRATION, technique: TRANSFER_TO_CLOUD_ACCOUNT }],
  calls: PUBLIC_SHARE_CALLS,
  outcome: 'failure',
  requestMatches: isPublicShare,
  findings: shareFindings,
  investigation: [
    'Read the errorCode: AccessDenied means the principal lacked the right and may be probing; InvalidParameterValue or InvalidDBSnapshotState usually means an encrypted snapshot, which cannot be made public.',
    'Look for what followed from the same principal or source address: a share with a single account, a CopyDBSnapshot with another KMS key, or a StartExportTask, which reach the same goal.',
    'Identify the caller and ask whether they meant to publish the snapshot.',
  ],
  falsePositives: [
    'A person publishing a deliberately public data set from an encrypted snapshot by mistake.',
    'Permission testing by your own security team.',
  ],
  response: [
    'If the caller cannot explain the attempt, treat the credentials as exposed: rotate them and review their recent activity.',
    'Check that no snapshot of the same database is shared with an unknown account (aws rds describe-db-snapshot-attributes).',
  ],
  references: [
    'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ShareSnapshot.html',
    'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBSnapshotAttribute.html',
  ],
};
