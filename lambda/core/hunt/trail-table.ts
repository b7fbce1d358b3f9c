/**
 * The Athena (Glue) table over a CloudTrail trail bucket: its columns as AWS documents them
 * for CloudTrail tables, and the partitions sgwatch projects (account, Region, day). The CDK
 * construct defines the table from this, the hunt query names these partitions, and the local
 * Athena endpoint in the tests reads the archive through the same names. Pure: no imports.
 */

/** One column of the table, with its Hive type as Glue stores it. */
export interface TrailColumn {
  readonly name: string;
  readonly type: string;
}

const IDENTITY_TYPE =
  'struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,' +
  'accesskeyid:string,username:string,onbehalfof:struct<userid:string,identitystorearn:string>,' +
  'sessioncontext:struct<attributes:struct<mfaauthenticated:string,creationdate:string>,' +
  'sessionissuer:struct<type:string,principalid:string,arn:string,accountid:string,username:string>,' +
  'ec2roledelivery:string,webidfederationdata:struct<federatedprovider:string,' +
  'attributes:map<string,string>>>>';

/** The record fields, lower-cased as Athena names them; nested JSON stays text. */
export const TRAIL_COLUMNS: readonly TrailColumn[] = [
  { name: 'eventversion', type: 'string' },
  { name: 'useridentity', type: IDENTITY_TYPE },
  { name: 'eventtime', type: 'string' },
  { name: 'eventsource', type: 'string' },
  { name: 'eventname', type: 'string' },
  { name: 'awsregion', type: 'string' },
  { name: 'sourceipaddress', type: 'string' },
  { name: 'useragent', type: 'string' },
  { name: 'errorcode', type: 'string' },
  { name: 'errormessage', type: 'string' },
  { name: 'requestparameters', type: 'string' },
  { name: 'responseelements', type: 'string' },
  { name: 'additionaleventdata', type: 'string' },
  { name: 'requestid', type: 'string' },
  { name: 'eventid', type: 'string' },
  { name: 'readonly', type: 'string' },
  { name: 'resources', type: 'array<struct<arn:string,accountid:string,type:string>>' },
  { name: 'eventtype', type: 'string' },
  { name: 'apiversion', type: 'string' },
  { name: 'recipientaccountid', type: 'string' },
  { name: 'serviceeventdetails', type: 'string' },
  { name: 'sharedeventid', type: 'string' },
  { name: 'vpcendpointid', type: 'string' },
  { name: 'vpcendpointaccountid', type: 'string' },
  { name: 'eventcategory', type: 'string' },
  {
    name: 'addendum',
    type: 'struct<reason:string,updatedfields:string,originalrequestid:string,originaleventid:string>',
  },
  { name: 'sessioncredentialfromconsole', type: 'string' },
  { name: 'edgedevicedetails', type: 'string' },
  {
    name: 'tlsdetails',
    type: 'struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>',
  },
];

/** The projected partition keys, in the order of the key layout. */
export const TRAIL_PARTITIONS = {
  account: 'account',
  region: 'region',
  day: 'day',
} as const;

/** How the `day` partition is written in keys and compared in queries: `2025/03/10`. */
export const TRAIL_DAY_FORMAT = 'yyyy/MM/dd';

/** The day partition value of a UTC instant. */
export function trailDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10).replaceAll('-', '/');
}

/** Where a trail writes, in the bucket: `[prefix/]AWSLogs/[o-…/]`. */
export function trailLogsPrefix(prefix: string | undefined, organizationId?: string): string {
  const base = prefix === undefined || prefix === '' ? '' : `${prefix.replace(/^\/+|\/+$/g, '')}/`;
  return `${base}AWSLogs/${organizationId !== undefined ? `${organizationId}/` : ''}`;
}

/** The `storage.location.template` of the projected table. */
export function trailLocationTemplate(
  bucket: string,
  prefix: string | undefined,
  organizationId?: string,
): string {
  const { account, region, day } = TRAIL_PARTITIONS;
  return `s3://${bucket}/${trailLogsPrefix(prefix, organizationId)}\${${account}}/CloudTrail/\${${region}}/\${${day}}`;
}
