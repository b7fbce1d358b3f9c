import type { DeployedStack } from '../aws';
import { HUNT_STACK_OUTPUTS } from '../../lib/deployment-names';
import { STACK_OUTPUTS } from '../aws';
import type { DoctorTarget, Finding } from './findings';
import { clean, ok, problem } from './findings';

export function stackStatusFinding(stack: DeployedStack): Finding {
  const name = clean(stack.name);
  const { status, region } = stack;
  const events = `aws cloudformation describe-stack-events --stack-name ${name} --region ${region}`;
  if (['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE'].includes(status)) {
    const missing = Object.values(STACK_OUTPUTS).filter(
      (key) => !HUNT_STACK_OUTPUTS.includes(key) && stack.outputs[key] === undefined,
    );
    if (missing.length > 0) {
      return problem(
        'stack',
        'warn',
        `${name} is deployed (${status}) but lacks the output(s) ${missing.join(', ')}, so some checks and sgwatch redrive cannot find their resources`,
        [`redeploy with this sgwatch version: npx cdk deploy ${name}`],
      );
    }
    return ok('stack', `${name} is deployed (${status})`);
  }
  if (status === 'UPDATE_ROLLBACK_COMPLETE') {
    return problem(
      'stack',
      'warn',
      `the last update of ${name} failed and was rolled back; the version before it is running`,
      [`find the failed resource: ${events}`, `fix it, then redeploy: npx cdk deploy ${name}`],
    );
  }
  if (status.endsWith('_IN_PROGRESS')) {
    return problem('stack', 'warn', `${name} is being changed right now (${status})`, [
      'run sgwatch doctor again when the deployment has finished',
    ]);
  }
  if (status === 'ROLLBACK_COMPLETE') {
    return problem(
      'stack',
      'fail',
      `${name} failed to create and was rolled back (ROLLBACK_COMPLETE): nothing is deployed`,
      [
        `find the failed resource: ${events}`,
        `delete the stack (it cannot be updated): aws cloudformation delete-stack --stack-name ${name} --region ${region}`,
        `then deploy again: npx cdk deploy ${name}`,
      ],
    );
  }
  return problem('stack', 'fail', `${name} is in a failed state (${status})`, [
    `find the failed resource: ${events}`,
    `fix it, then redeploy: npx cdk deploy ${name}`,
  ]);
}

/** The stack is not there: every check that needs its outputs is skipped. */
export function missingStackFinding(target: DoctorTarget): Finding {
  const { region, stackName } = target;
  return problem(
    'stack',
    'fail',
    `stack ${clean(stackName)} does not exist in ${region}, so nothing here detects anything (the topic and queue checks need it and were skipped)`,
    [
      `deploy it from the sgwatch repository: npx cdk deploy ${clean(stackName)} -c alertEmails=you@example.com`,
      'or, if it is deployed in another Region or under another name, run doctor with --region R --stack NAME',
    ],
  );
}
