import type { CloudTrailRecord } from '../../../lambda/core/cloudtrail';
import {
  classifyRecordUserAgent,
  classifyUserAgent,
  MAX_RAW_LABEL_LENGTH,
  OFFENSIVE_MARKERS,
} from '../../../lambda/core/enrich/user-agent';
import type {
  ClassifyUserAgentOptions,
  UserAgentInfo,
} from '../../../lambda/core/enrich/user-agent';

interface Row {
  readonly name: string;
  readonly userAgent: string | undefined;
  readonly invokedBy?: string;
  readonly options?: ClassifyUserAgentOptions;
  readonly expected: UserAgentInfo;
}

// User agents below are copied in shape from published CloudTrail records, SDK sources and
// tool sources; account-specific parts (hosts, ids) are changed.

const CONSOLE_ROWS: readonly Row[] = [
  {
    name: 'the root user in the console',
    userAgent: 'console.amazonaws.com',
    expected: { kind: 'console', label: 'AWS Management Console', tool: 'console.amazonaws.com' },
  },
  {
    name: 'an IAM user in the console',
    userAgent: 'signin.amazonaws.com',
    expected: { kind: 'console', label: 'AWS Management Console', tool: 'signin.amazonaws.com' },
  },
  {
    name: 'the EC2 console',
    userAgent: 'console.ec2.amazonaws.com',
    expected: {
      kind: 'console',
      label: 'AWS Management Console',
      tool: 'console.ec2.amazonaws.com',
    },
  },
  {
    name: 'a call that signin.amazonaws.com invoked for the user',
    userAgent: 'signin.amazonaws.com',
    invokedBy: 'signin.amazonaws.com',
    expected: { kind: 'console', label: 'AWS Management Console', tool: 'signin.amazonaws.com' },
  },
  {
    name: 'the S3 console with its bracketed internal Java client',
    userAgent:
      '[S3Console/0.4, aws-internal/3 aws-sdk-java/1.11.590 Linux/4.9.152-0.1.ac.221.79.329.metal1.x86_64 OpenJDK_64-Bit_Server_VM/25.212-b03 java/1.8.0_212 vendor/Oracle_Corporation]',
    expected: { kind: 'console', label: 'AWS Management Console (S3)', tool: 'S3Console' },
  },
  {
    name: 'the short S3 console form',
    userAgent: '[S3Console/0.4]',
    expected: { kind: 'console', label: 'AWS Management Console (S3)', tool: 'S3Console' },
  },
  {
    name: 'another console product on the internal client',
    userAgent: 'ExampleConsole/1.2, aws-internal/3 aws-sdk-java/1.12.488',
    expected: { kind: 'console', label: 'AWS Management Console', tool: 'ExampleConsole' },
  },
  {
    name: '"AWS Internal" when the credentials came from a console session',
    userAgent: 'AWS Internal',
    options: { consoleSession: true },
    expected: { kind: 'console', label: 'AWS Management Console' },
  },
  {
    name: "a browser's own user agent when the credentials came from a console session",
    userAgent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
    options: { consoleSession: true },
    expected: { kind: 'console', label: 'AWS Management Console' },
  },
];

const CLI_ROWS: readonly Row[] = [
  {
    name: 'the AWS CLI v2 with the newer metadata format',
    userAgent:
      'aws-cli/2.22.31 md/awscrt#0.23.4 ua/2.0 os/linux#6.8.0-51-generic md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#rds.create-db-security-group',
    expected: {
      kind: 'aws-cli',
      label: 'AWS CLI 2.22.31',
      tool: 'aws-cli',
      language: 'Python',
      version: '2.22.31',
    },
  },
  {
    name: 'the AWS CLI v2 with the older platform format',
    userAgent:
      'aws-cli/2.7.5 Python/3.9.11 Linux/5.10.102.1-microsoft-standard-WSL2 exe/x86_64.ubuntu.22 prompt/off',
    expected: {
      kind: 'aws-cli',
      label: 'AWS CLI 2.7.5',
      tool: 'aws-cli',
      language: 'Python',
      version: '2.7.5',
    },
  },
  {
    name: 'the AWS CLI v1 on botocore',
    userAgent: 'aws-cli/1.15.42 Python/3.6.1 Darwin/17.7.0 botocore/1.10.42',
    expected: {
      kind: 'aws-cli',
      label: 'AWS CLI 1.15.42',
      tool: 'aws-cli',
      language: 'Python',
      version: '1.15.42',
    },
  },
  {
    name: 'the AWS CLI in CloudShell',
    userAgent:
      'aws-cli/2.13.5 Python/3.11.4 Linux/4.14.255-314-253.539.amzn2.x86_64 exec-env/CloudShell exe/x86_64.amzn.2 prompt/off command/cloudtrail.start-logging',
    expected: {
      kind: 'aws-cli',
      label: 'AWS CLI 2.13.5 (CloudShell)',
      tool: 'aws-cli',
      language: 'Python',
      version: '2.13.5',
    },
  },
  {
    name: 'a bare AWS CLI token without a language',
    userAgent: 'aws-cli/2.13.0',
    expected: { kind: 'aws-cli', label: 'AWS CLI 2.13.0', tool: 'aws-cli', version: '2.13.0' },
  },
];

const SDK_ROWS: readonly Row[] = [
  {
    name: 'Boto3 on its own',
    userAgent: 'Boto3/1.26.0',
    expected: {
      kind: 'sdk',
      label: 'SDK (Python, Boto3 1.26.0)',
      language: 'Python',
      tool: 'Boto3',
      version: '1.26.0',
    },
  },
  {
    name: 'Boto3 with the newer metadata format',
    userAgent:
      'Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#5.15.0-1051-aws md/arch#x86_64 lang/python#3.11.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.0',
    expected: {
      kind: 'sdk',
      label: 'SDK (Python, Boto3 1.34.0)',
      language: 'Python',
      tool: 'Boto3',
      version: '1.34.0',
    },
  },
  {
    name: 'botocore without Boto3',
    userAgent: 'Botocore/1.29.165 Python/3.9.16 Linux/5.10.184-175.731.amzn2.x86_64',
    expected: {
      kind: 'sdk',
      label: 'SDK (Python, botocore 1.29.165)',
      language: 'Python',
      tool: 'botocore',
      version: '1.29.165',
    },
  },
  {
    name: 'the AWS SAM CLI, which is Boto3 with an extra token',
    userAgent: 'Boto3/1.28.0 Python/3.11.5 Windows/10 Botocore/1.31.0 aws-sam-cli/1.120.0',
    expected: {
      kind: 'sdk',
      label: 'SDK (Python, Boto3 1.28.0)',
      language: 'Python',
      tool: 'Boto3',
      version: '1.28.0',
    },
  },
  {
    name: 'the Go SDK v1',
    userAgent: 'aws-sdk-go/1.50.0 (go1.21; linux; amd64)',
    expected: {
      kind: 'sdk',
      label: 'SDK (Go, aws-sdk-go 1.50.0)',
      language: 'Go',
      tool: 'aws-sdk-go',
      version: '1.50.0',
    },
  },
  {
    name: 'the Go SDK v2',
    userAgent:
      'aws-sdk-go-v2/1.30.1 os/linux lang/go#1.22.4 md/GOOS#linux md/GOARCH#amd64 api/rds#1.81.0',
    expected: {
      kind: 'sdk',
      label: 'SDK (Go, aws-sdk-go-v2 1.30.1)',
      language: 'Go',
      tool: 'aws-sdk-go-v2',
      version: '1.30.1',
    },
  },
  {
    name: 'the Java SDK v1',
    userAgent:
      'aws-sdk-java/1.11.789 Linux/5.4.0-56-generic OpenJDK_64-Bit_Server_VM/11.0.8+10 java/11.0.8 vendor/AdoptOpenJDK',
    expected: {
      kind: 'sdk',
      label: 'SDK (Java, aws-sdk-java 1.11.789)',
      language: 'Java',
      tool: 'aws-sdk-java',
      version: '1.11.789',
    },
  },
  {
    name: 'the Java SDK v2',
    userAgent:
      'aws-sdk-java/2.20.162 Linux/5.10.192-183.736.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.8+7-LTS Java/17.0.8 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy',
    expected: {
      kind: 'sdk',
      label: 'SDK (Java, aws-sdk-java 2.20.162)',
      language: 'Java',
      tool: 'aws-sdk-java',
      version: '2.20.162',
    },
  },
  {
    name: 'the JavaScript SDK v3',
    userAgent:
      'aws-sdk-js/3.552.0 ua/2.1 os/linux#5.15.0 lang/js md/nodejs#20.11.1 api/elasticache#3.552.0',
    expected: {
      kind: 'sdk',
      label: 'SDK (JavaScript, aws-sdk-js 3.552.0)',
      language: 'JavaScript',
      tool: 'aws-sdk-js',
      version: '3.552.0',
    },
  },
  {
    name: 'the JavaScript SDK v2 for Node.js',
    userAgent: 'aws-sdk-nodejs/2.1586.0 linux/v20.15.1 promise',
    expected: {
      kind: 'sdk',
      label: 'SDK (JavaScript, aws-sdk-nodejs 2.1586.0)',
      language: 'JavaScript',
      tool: 'aws-sdk-nodejs',
      version: '2.1586.0',
    },
  },
  {
    name: 'a JavaScript client known only by its lang/js field',
    userAgent: 'my-wrapper/0.3.1 ua/2.1 os/linux#6.1.0 lang/js md/nodejs#22.3.0',
    expected: { kind: 'sdk', label: 'SDK (JavaScript)', language: 'JavaScript' },
  },
  {
    name: 'the .NET SDK on .NET Core',
    userAgent:
      'aws-sdk-dotnet-coreclr/3.7.300.29 aws-sdk-dotnet-core/3.7.300.29 .NET_Core/6.0.25 OS/Microsoft_Windows_10.0.19045 ClientAsync',
    expected: {
      kind: 'sdk',
      label: 'SDK (.NET, aws-sdk-dotnet-coreclr 3.7.300.29)',
      language: '.NET',
      tool: 'aws-sdk-dotnet-coreclr',
      version: '3.7.300.29',
    },
  },
  {
    name: 'the .NET SDK v4',
    userAgent: 'aws-sdk-net/4.0.0 ua/2.1 os/linux#6.1 lang/.NET_Core#8.0.6 api/RDS#4.0.0',
    expected: {
      kind: 'sdk',
      label: 'SDK (.NET, aws-sdk-net 4.0.0)',
      language: '.NET',
      tool: 'aws-sdk-net',
      version: '4.0.0',
    },
  },
  {
    name: 'the Ruby SDK v3',
    userAgent:
      'aws-sdk-ruby3/3.188.0 ua/2.0 api/rds#1.200.0 os/linux md/x86_64 lang/ruby#3.2.2 md/3.2.2 cfg/retry-mode#legacy',
    expected: {
      kind: 'sdk',
      label: 'SDK (Ruby, aws-sdk-ruby3 3.188.0)',
      language: 'Ruby',
      tool: 'aws-sdk-ruby3',
      version: '3.188.0',
    },
  },
  {
    name: 'the PHP SDK',
    userAgent: 'aws-sdk-php/3.300.0 OS/Linux/5.15.0 PHP/8.2.0',
    expected: {
      kind: 'sdk',
      label: 'SDK (PHP, aws-sdk-php 3.300.0)',
      language: 'PHP',
      tool: 'aws-sdk-php',
      version: '3.300.0',
    },
  },
  {
    name: 'the Rust SDK',
    userAgent: 'aws-sdk-rust/1.1.1 os/linux lang/rust/1.74.1',
    expected: {
      kind: 'sdk',
      label: 'SDK (Rust, aws-sdk-rust 1.1.1)',
      language: 'Rust',
      tool: 'aws-sdk-rust',
      version: '1.1.1',
    },
  },
];

const IAC_ROWS: readonly Row[] = [
  {
    name: 'CloudFormation creating a stack resource',
    userAgent: 'cloudformation.amazonaws.com',
    invokedBy: 'cloudformation.amazonaws.com',
    expected: {
      kind: 'cloudformation',
      label: 'AWS CloudFormation',
      tool: 'cloudformation.amazonaws.com',
    },
  },
  {
    name: 'CloudFormation named only in invokedBy',
    userAgent: 'AWS Internal',
    invokedBy: 'cloudformation.amazonaws.com',
    expected: {
      kind: 'cloudformation',
      label: 'AWS CloudFormation',
      tool: 'cloudformation.amazonaws.com',
    },
  },
  {
    name: 'Terraform with the Go SDK v2',
    userAgent:
      'APN/1.0 HashiCorp/1.0 Terraform/1.7.0 (+https://www.terraform.io) terraform-provider-aws/5.32.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.24.1 os/linux lang/go#1.20.12 md/GOOS#linux md/GOARCH#amd64 api/rds#1.66.0',
    expected: { kind: 'terraform', label: 'Terraform 1.7.0', tool: 'Terraform', version: '1.7.0' },
  },
  {
    name: 'Terraform with the Go SDK v1 and terraform-exec',
    userAgent:
      'APN/1.0 HashiCorp/1.0 Terraform/1.1.2 (+https://www.terraform.io) terraform-provider-aws/3.76.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go/1.44.157 (go1.19.3; darwin; arm64) HashiCorp-terraform-exec/0.17.3',
    expected: { kind: 'terraform', label: 'Terraform 1.1.2', tool: 'Terraform', version: '1.1.2' },
  },
  {
    name: 'an old Terraform that put its token after the SDK',
    userAgent: 'aws-sdk-go/1.10.18 (go1.8; linux; amd64) APN/1.0 HashiCorp/1.0 Terraform/0.9.8',
    expected: { kind: 'terraform', label: 'Terraform 0.9.8', tool: 'Terraform', version: '0.9.8' },
  },
  {
    name: 'a Terraform token with no version',
    userAgent:
      'aws-sdk-go/1.44.12 (go1.19.1; darwin; amd64) APN/1.0 HashiCorp/1.0 Terraform/ (+https://www.terraform.io/)',
    expected: { kind: 'terraform', label: 'Terraform', tool: 'Terraform' },
  },
  {
    name: 'the Terraform AWS provider without the core token',
    userAgent: 'terraform-provider-aws/5.40.0 aws-sdk-go-v2/1.25.0 os/linux lang/go#1.22.0',
    expected: {
      kind: 'terraform',
      label: 'Terraform (terraform-provider-aws 5.40.0)',
      tool: 'Terraform',
    },
  },
  {
    name: 'the Pulumi AWS provider',
    userAgent:
      'APN/1.0 Pulumi/1.0 Pulumi-Aws/6.37.1 (+https://www.pulumi.com) aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.3 md/GOOS#linux md/GOARCH#amd64 api/rds#1.79.0',
    expected: {
      kind: 'pulumi',
      label: 'Pulumi (Pulumi-Aws 6.37.1)',
      tool: 'Pulumi-Aws',
      version: '6.37.1',
    },
  },
  {
    name: 'the Pulumi AWS Native provider',
    userAgent: 'APN/1.0 Pulumi/1.0 PulumiAwsNative/0.108.1 aws-sdk-go-v2/1.26.1 os/linux',
    expected: {
      kind: 'pulumi',
      label: 'Pulumi (PulumiAwsNative 0.108.1)',
      tool: 'PulumiAwsNative',
      version: '0.108.1',
    },
  },
  {
    name: 'a Pulumi build that also sends the Terraform token',
    userAgent:
      'APN/1.0 Pulumi/1.0 Pulumi-Aws/4.17.0 (+https://www.pulumi.com) APN/1.0 HashiCorp/1.0 Terraform/1.0.5 aws-sdk-go/1.40.20 (go1.16.4; darwin; amd64)',
    expected: {
      kind: 'pulumi',
      label: 'Pulumi (Pulumi-Aws 4.17.0)',
      tool: 'Pulumi-Aws',
      version: '4.17.0',
    },
  },
  {
    name: 'a Pulumi token with no provider token',
    userAgent: 'APN/1.0 Pulumi/1.0 aws-sdk-go-v2/1.26.1',
    expected: { kind: 'pulumi', label: 'Pulumi', tool: 'Pulumi' },
  },
  {
    name: 'the CDK CLI on the JavaScript SDK v2',
    userAgent: 'aws-sdk-nodejs/2.1586.0 linux/v20.15.1 aws-cdk/2.135.0 promise',
    expected: { kind: 'cdk', label: 'AWS CDK 2.135.0', tool: 'aws-cdk', version: '2.135.0' },
  },
  {
    name: 'the CDK CLI on the JavaScript SDK v3',
    userAgent:
      'aws-sdk-js/3.637.0 ua/2.1 os/linux#6.5.0 lang/js md/nodejs#20.17.0 api/cloudformation#3.637.0 aws-cdk/2.1118.0',
    expected: { kind: 'cdk', label: 'AWS CDK 2.1118.0', tool: 'aws-cdk', version: '2.1118.0' },
  },
  {
    name: 'the CDK named as the SDK app id',
    userAgent: 'aws-sdk-js/3.637.0 ua/2.1 os/linux#6.5.0 lang/js md/nodejs#20.17.0 app/aws-cdk',
    expected: { kind: 'cdk', label: 'AWS CDK', tool: 'aws-cdk' },
  },
  {
    name: 'the CDK named in a metadata field',
    userAgent: 'aws-sdk-js/3.637.0 lang/js md/app-id#aws-cdk',
    expected: { kind: 'cdk', label: 'AWS CDK', tool: 'aws-cdk' },
  },
];

const SERVICE_ROWS: readonly Row[] = [
  {
    name: 'a service hostname as the user agent',
    userAgent: 'lambda.amazonaws.com',
    expected: {
      kind: 'aws-service',
      label: 'AWS service lambda.amazonaws.com',
      tool: 'lambda.amazonaws.com',
    },
  },
  {
    name: 'a service named in invokedBy, which wins over the user agent',
    userAgent: 'AWS Internal',
    invokedBy: 'backup.amazonaws.com',
    expected: {
      kind: 'aws-service',
      label: 'AWS service backup.amazonaws.com',
      tool: 'backup.amazonaws.com',
    },
  },
  {
    name: 'a service acting for a caller who used the CLI',
    userAgent: 'aws-cli/2.15.0 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0 lang/python#3.11.6',
    invokedBy: 'elasticbeanstalk.amazonaws.com',
    expected: {
      kind: 'aws-service',
      label: 'AWS service elasticbeanstalk.amazonaws.com',
      tool: 'elasticbeanstalk.amazonaws.com',
    },
  },
  {
    name: 'a China-partition service hostname',
    userAgent: 'ec2.amazonaws.com.cn',
    expected: {
      kind: 'aws-service',
      label: 'AWS service ec2.amazonaws.com.cn',
      tool: 'ec2.amazonaws.com.cn',
    },
  },
];

const OFFENSIVE_ROWS: readonly Row[] = [
  {
    name: 'the AWS CLI on Kali with the distribution field',
    userAgent:
      '[aws-cli/2.36.17 md/awscrt#0.36.0 ua/2.1 os/linux#6.19.14+kali-amd64 md/arch#x86_64 lang/python#3.14.6 md/pyimpl#CPython m/Z,g,E,C,b cfg/retry-mode#standard md/installer#exe sid/4c55b1738b6d md/distrib#kali.2026 md/prompt#off md/command#s3.ls]',
    expected: {
      kind: 'offensive',
      label: 'AWS CLI 2.36.17 on Kali Linux',
      tool: 'Kali Linux',
      language: 'Python',
    },
  },
  {
    name: 'the AWS CLI on Kali with only the kernel release',
    userAgent: 'aws-cli/2.13.0 Python/3.11.3 Linux/5.15.0-kali3-amd64',
    expected: {
      kind: 'offensive',
      label: 'AWS CLI 2.13.0 on Kali Linux',
      tool: 'Kali Linux',
      language: 'Python',
    },
  },
  {
    name: 'the AWS CLI v1 on Kali',
    userAgent: 'aws-cli/1.22.34 Python/3.9.12 Linux/5.16.0-kali7-amd64 botocore/1.23.34',
    expected: {
      kind: 'offensive',
      label: 'AWS CLI 1.22.34 on Kali Linux',
      tool: 'Kali Linux',
      language: 'Python',
    },
  },
  {
    name: 'an AWS CLI v2 build that names Kali in its exe field',
    userAgent:
      'aws-cli/2.4.5 Python/3.8.8 Linux/5.14.0-kali4-amd64 exe/x86_64.kali.2021 prompt/off',
    expected: {
      kind: 'offensive',
      label: 'AWS CLI 2.4.5 on Kali Linux',
      tool: 'Kali Linux',
      language: 'Python',
    },
  },
  {
    name: 'Boto3 on Kali',
    userAgent:
      'Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.6.9-arm64 md/arch#aarch64 lang/python#3.11.8 md/distrib#kali.2024 Botocore/1.34.0',
    expected: {
      kind: 'offensive',
      label: 'SDK (Python, Boto3 1.34.0) on Kali Linux',
      tool: 'Kali Linux',
      language: 'Python',
    },
  },
  {
    name: 'the AWS CLI on Parrot OS',
    userAgent:
      'aws-cli/2.2.46 Python/3.8.8 Linux/5.10.0-6parrot1-amd64 exe/x86_64.parrot.4 prompt/off',
    expected: {
      kind: 'offensive',
      label: 'AWS CLI 2.2.46 on Parrot OS',
      tool: 'Parrot OS',
      language: 'Python',
    },
  },
  {
    name: 'Boto3 on Pentoo',
    userAgent: 'Boto3/1.26.0 Python/3.10.9 Linux/6.1.12-pentoo Botocore/1.29.0',
    expected: {
      kind: 'offensive',
      label: 'SDK (Python, Boto3 1.26.0) on Pentoo Linux',
      tool: 'Pentoo Linux',
      language: 'Python',
    },
  },
  {
    name: 'Pacu with its session suffix',
    userAgent:
      'Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.5.0-35-generic lang/python#3.11.6 Botocore/1.34.0 Pacu-Session-0b7f0d33-4e8f-4e1c-8e9e-1b2f0e5c9a77',
    expected: {
      kind: 'offensive',
      label: 'Pacu via SDK (Python, Boto3 1.34.0)',
      tool: 'Pacu',
      language: 'Python',
    },
  },
  {
    name: 'Stratus Red Team warming up through Terraform',
    userAgent:
      'APN/1.0 HashiCorp/1.0 Terraform/1.1.2 (+https://www.terraform.io) terraform-provider-aws/3.76.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go/1.44.157 (go1.19.3; darwin; arm64) stratus-red-team_83c9a458-ffab-4d43-8b02-9691311e8c0a HashiCorp-terraform-exec/0.17.3',
    expected: {
      kind: 'offensive',
      label: 'Stratus Red Team via Terraform 1.1.2',
      tool: 'Stratus Red Team',
    },
  },
  {
    name: 'Stratus Red Team detonating through the Go SDK v2',
    userAgent:
      'aws-sdk-go-v2/1.21.0 os/linux lang/go#1.21.1 md/GOOS#linux md/GOARCH#amd64 api/rds#1.54.0 stratus-red-team_4a9c1b2e-7d3f-4e8a-9b1c-2d3e4f5a6b7c',
    expected: {
      kind: 'offensive',
      label: 'Stratus Red Team via SDK (Go, aws-sdk-go-v2 1.21.0)',
      tool: 'Stratus Red Team',
      language: 'Go',
    },
  },
  {
    name: 'the AWS CLI inside a Grimoire shell',
    userAgent:
      'aws-cli/2.17.60 md/awscrt#0.21.2 ua/2.0 os/macos#23.6.0 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython exec-env/grimoire_e38e3427-7c59-42f2-93e6-4142e9fe9e42 cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#ec2.authorize-security-group-ingress',
    expected: {
      kind: 'offensive',
      label: 'Grimoire via AWS CLI 2.17.60',
      tool: 'Grimoire',
      language: 'Python',
    },
  },
  {
    name: 'TruffleHog verifying a key',
    userAgent: 'TruffleHog',
    expected: { kind: 'offensive', label: 'TruffleHog', tool: 'TruffleHog' },
  },
];

const OTHER_ROWS: readonly Row[] = [
  {
    name: 'a missing user agent',
    userAgent: undefined,
    expected: { kind: 'other', label: 'no user agent' },
  },
  {
    name: 'an empty user agent',
    userAgent: '',
    expected: { kind: 'other', label: 'no user agent' },
  },
  {
    name: '"AWS Internal" without a console session',
    userAgent: 'AWS Internal',
    expected: { kind: 'other', label: 'AWS Internal' },
  },
  {
    name: 'a browser without a console session',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0',
    expected: {
      kind: 'other',
      label: 'Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0',
    },
  },
  {
    name: 'the legacy ElastiCache command-line tools',
    userAgent: 'AWS CLI/ElastiCache 1.10 API 2014-12-01',
    expected: { kind: 'other', label: 'AWS CLI/ElastiCache 1.10 API 2014-12-01' },
  },
  {
    name: 'a hostname outside amazonaws.com',
    userAgent: 'lambda.amazonaws.com.example.net',
    expected: { kind: 'other', label: 'lambda.amazonaws.com.example.net' },
  },
  {
    name: 'an invokedBy that is not a service hostname',
    userAgent: 'curl/8.5.0',
    invokedBy: 'AWS Internal',
    expected: { kind: 'other', label: 'curl/8.5.0' },
  },
];

// None of these may be read as the tool whose name they contain.
const LOOKALIKE_ROWS: readonly Row[] = [
  {
    name: '"cdk" inside other product names',
    userAgent: 'mycdkapp/2.0 cdk8s/2.68.0 aws-cdk-lib/2.150.0 cdktf-helper/0.20.0',
    expected: {
      kind: 'other',
      label: 'mycdkapp/2.0 cdk8s/2.68.0 aws-cdk-lib/2.150.0 cdktf-helper/0.20.0',
    },
  },
  {
    name: '"pacu" inside another word',
    userAgent: 'Boto3/1.34.0 Python/3.11.6 Linux/6.5.0-35-generic Botocore/1.34.0 opacus/1.4.0',
    expected: {
      kind: 'sdk',
      label: 'SDK (Python, Boto3 1.34.0)',
      language: 'Python',
      tool: 'Boto3',
      version: '1.34.0',
    },
  },
  {
    name: '"kali" outside the platform fields',
    userAgent:
      'aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0-35-generic exe/x86_64.ubuntu.22 kalimba/1.0',
    expected: {
      kind: 'aws-cli',
      label: 'AWS CLI 2.15.0',
      tool: 'aws-cli',
      language: 'Python',
      version: '2.15.0',
    },
  },
  {
    name: '"parrot" as part of a longer word in the platform',
    userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0-parrotfish-amd64',
    expected: {
      kind: 'aws-cli',
      label: 'AWS CLI 2.15.0',
      tool: 'aws-cli',
      language: 'Python',
      version: '2.15.0',
    },
  },
  {
    name: 'the word "terraform" without a product token',
    userAgent: 'aws-sdk-go-v2/1.24.1 os/linux lang/go#1.21 my-terraform-wrapper',
    expected: {
      kind: 'sdk',
      label: 'SDK (Go, aws-sdk-go-v2 1.24.1)',
      language: 'Go',
      tool: 'aws-sdk-go-v2',
      version: '1.24.1',
    },
  },
  {
    name: '"aws-sdk-go" as the start of "aws-sdk-go-v2"',
    userAgent: 'aws-sdk-go-v2/1.30.1 os/linux lang/go#1.22.4',
    expected: {
      kind: 'sdk',
      label: 'SDK (Go, aws-sdk-go-v2 1.30.1)',
      language: 'Go',
      tool: 'aws-sdk-go-v2',
      version: '1.30.1',
    },
  },
];

function run(row: Row): UserAgentInfo {
  return classifyUserAgent(row.userAgent, row.invokedBy, row.options);
}

describe('classifyUserAgent', () => {
  it.each(CONSOLE_ROWS)('recognises the console: $name', (row) => {
    expect(run(row)).toEqual(row.expected);
  });

  it.each(CLI_ROWS)('recognises the AWS CLI: $name', (row) => {
    expect(run(row)).toEqual(row.expected);
  });

  it.each(SDK_ROWS)('recognises an SDK: $name', (row) => {
    expect(run(row)).toEqual(row.expected);
  });

  it.each(IAC_ROWS)('recognises infrastructure as code: $name', (row) => {
    expect(run(row)).toEqual(row.expected);
  });

  it.each(SERVICE_ROWS)('recognises an AWS service: $name', (row) => {
    expect(run(row)).toEqual(row.expected);
  });

  it.each(OFFENSIVE_ROWS)('flags offensive tooling over the client it rides on: $name', (row) => {
    expect(run(row)).toEqual(row.expected);
  });

  it.each(OTHER_ROWS)('falls back to the raw text for $name', (row) => {
    expect(run(row)).toEqual(row.expected);
  });

  it.each(LOOKALIKE_ROWS)('does not match a tool by accident: $name', (row) => {
    expect(run(row)).toEqual(row.expected);
  });

  it('exercises every offensive marker with at least one row', () => {
    const flagged = new Set(OFFENSIVE_ROWS.map((row) => run(row).tool));
    expect(OFFENSIVE_MARKERS.map((marker) => marker.tool).filter((t) => !flagged.has(t))).toEqual(
      [],
    );
  });

  it('truncates an unknown user agent and strips control characters from the label', () => {
    const raw = `evil\u0007agent\r\n${'x'.repeat(200)}`;
    const info = classifyUserAgent(raw);
    expect(info.kind).toBe('other');
    expect(info.label).toHaveLength(MAX_RAW_LABEL_LENGTH);
    expect(info.label.startsWith('evil agent x')).toBe(true);
    expect(info.label.endsWith('…')).toBe(true);
    expect(info.label).not.toMatch(/[\u0000-\u001f]/);
  });

  it('leaves out a version that does not look like one', () => {
    expect(classifyUserAgent('aws-cli/<script>alert(1)</script>')).toEqual({
      kind: 'aws-cli',
      label: 'AWS CLI',
      tool: 'aws-cli',
    });
  });
});

describe('classifyRecordUserAgent', () => {
  const base: CloudTrailRecord = {
    eventID: '3c8f5e4a-1d2b-4f6a-9e7c-0a1b2c3d4e5f',
    eventTime: '2026-03-02T10:15:00Z',
    eventSource: 'rds.amazonaws.com',
    eventName: 'CreateDBSecurityGroup',
    awsRegion: 'us-east-1',
    userIdentity: { type: 'AssumedRole' },
  };

  it.each([
    {
      name: 'reads the console-session flag',
      record: { ...base, userAgent: 'AWS Internal', sessionCredentialFromConsole: 'true' },
      expected: { kind: 'console', label: 'AWS Management Console' },
    },
    {
      name: 'reads invokedBy from the user identity',
      record: {
        ...base,
        userAgent: 'cloudformation.amazonaws.com',
        userIdentity: { type: 'AssumedRole', invokedBy: 'cloudformation.amazonaws.com' },
      },
      expected: {
        kind: 'cloudformation',
        label: 'AWS CloudFormation',
        tool: 'cloudformation.amazonaws.com',
      },
    },
    {
      name: 'treats a console flag other than "true" as absent',
      record: { ...base, userAgent: 'AWS Internal', sessionCredentialFromConsole: true },
      expected: { kind: 'other', label: 'AWS Internal' },
    },
    {
      name: 'copes with a record that has no user agent',
      record: base,
      expected: { kind: 'other', label: 'no user agent' },
    },
  ])('$name', ({ record, expected }) => {
    expect(classifyRecordUserAgent(record)).toEqual(expected);
  });
});
