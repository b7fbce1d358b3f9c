import type { AttackReference } from './detection';

function tactic(id: string, name: string): AttackReference {
  return { id, name, url: `https://attack.mitre.org/tactics/${id}/` };
}

function technique(id: string, name: string): AttackReference {
  return { id, name, url: `https://attack.mitre.org/techniques/${id.replace('.', '/')}/` };
}

export const PERSISTENCE = tactic('TA0003', 'Persistence');
export const DEFENSE_EVASION = tactic('TA0005', 'Defense Evasion');
export const CREATE_ACCOUNT = technique('T1136', 'Create Account');
export const CLOUD_ACCOUNT = technique('T1136.003', 'Cloud Account');
export const IMPAIR_DEFENSES = technique('T1562', 'Impair Defenses');
export const DISABLE_CLOUD_FIREWALL = technique('T1562.007', 'Disable or Modify Cloud Firewall');
export const EXFILTRATION = tactic('TA0010', 'Exfiltration');
export const TRANSFER_TO_CLOUD_ACCOUNT = technique('T1537', 'Transfer Data to Cloud Account');
