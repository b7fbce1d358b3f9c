import { ALERTS_HELP } from '../../../cli/commands/alerts';
import { DOCTOR_HELP } from '../../../cli/commands/doctor';
import { HUNT_HELP } from '../../../cli/commands/hunt';
import { REDRIVE_HELP } from '../../../cli/commands/redrive';
import { REPLAY_HELP } from '../../../cli/commands/replay';
import { SIGMA_HELP } from '../../../cli/commands/sigma';
import { MAIN_HELP } from '../../../cli/main';

const HELP = {
  MAIN_HELP,
  REPLAY_HELP,
  HUNT_HELP,
  ALERTS_HELP,
  SIGMA_HELP,
  DOCTOR_HELP,
  REDRIVE_HELP,
};

describe('help text', () => {
  it.each(Object.entries(HELP))('%s fits an 80-column terminal', (_name, text) => {
    // Measured as displayed: code points, so "…" counts once.
    const long = text.split('\n').filter((line) => [...line].length > 80);
    expect(long).toEqual([]);
  });

  it('lists every command at the top level', () => {
    for (const command of ['replay', 'hunt', 'sigma check', 'alerts list', 'doctor', 'redrive']) {
      expect(MAIN_HELP).toContain(`  ${command}`);
    }
  });
});
