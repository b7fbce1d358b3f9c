import type { AlertStatus } from '../../lambda/core/alert';
import type { TriagedAlert, TriageTarget } from '../../lambda/core/triage';
import {
  allowedTargets,
  InvalidTransitionError,
  planChange,
  TriageInputError,
} from '../../lambda/core/triage';

const AT = new Date('2026-03-15T12:00:00Z');

/** Only the fields triage reads; the rest of an alert does not take part in the decision. */
function alertIn(status: AlertStatus, statusVersion?: number): TriagedAlert {
  return {
    alertId: 'a'.repeat(20),
    status,
    ...(statusVersion !== undefined ? { statusVersion } : {}),
  } as TriagedAlert;
}

describe('which status changes are allowed', () => {
  it.each<{ from: AlertStatus; to: TriageTarget[] }>([
    { from: 'open', to: ['acknowledged', 'resolved'] },
    { from: 'acknowledged', to: ['resolved', 'open'] },
    { from: 'resolved', to: ['open'] },
    { from: 'suppressed', to: ['open'] },
  ])('allows $from -> $to and nothing else', ({ from, to }) => {
    expect(allowedTargets(from)).toEqual(to);
    for (const target of ['acknowledged', 'resolved', 'open'] as const) {
      const plan = () => planChange(alertIn(from), { to: target, by: 'dana', at: AT, note: 'n' });
      if (to.includes(target)) expect(plan).not.toThrow();
      else expect(plan).toThrow(InvalidTransitionError);
    }
  });

  it('names the changes that are possible from the current status', () => {
    expect(() =>
      planChange(alertIn('resolved'), { to: 'acknowledged', by: 'dana', at: AT }),
    ).toThrow(
      'alert aaaaaaaaaaaaaaaaaaaa is resolved and cannot become acknowledged; from resolved it can become open',
    );
  });
});

describe('the history entry a change leaves', () => {
  it('records from, to, who, when and the trimmed note, and the version it expects', () => {
    const planned = planChange(alertIn('acknowledged', 3), {
      to: 'resolved',
      by: '  bob  ',
      at: AT,
      note: '  approved in CHG-12  ',
    });
    expect(planned).toEqual({
      entry: {
        from: 'acknowledged',
        to: 'resolved',
        by: 'bob',
        at: '2026-03-15T12:00:00.000Z',
        note: 'approved in CHG-12',
      },
      expectedVersion: 3,
    });
  });

  it('leaves out a note that is only spaces, and expects version 0 on a never-changed alert', () => {
    const planned = planChange(alertIn('open'), {
      to: 'acknowledged',
      by: 'dana',
      at: AT,
      note: '  ',
    });
    expect(planned.entry).not.toHaveProperty('note');
    expect(planned.expectedVersion).toBe(0);
  });
});

describe('requests that are refused before anything is read', () => {
  it.each([
    {
      name: 'resolving without a note',
      to: 'resolved' as const,
      by: 'dana',
      note: undefined,
      says: 'requires a note',
    },
    {
      name: 'an actor of spaces',
      to: 'acknowledged' as const,
      by: '   ',
      note: undefined,
      says: 'must be named',
    },
    {
      name: 'an actor over 200 characters',
      to: 'acknowledged' as const,
      by: 'x'.repeat(201),
      note: undefined,
      says: 'over 200',
    },
    {
      name: 'a note over 2000 characters',
      to: 'acknowledged' as const,
      by: 'dana',
      note: 'x'.repeat(2001),
      says: 'over 2000',
    },
  ])('refuses $name', ({ to, by, note, says }) => {
    const request = { to, by, at: AT, ...(note !== undefined ? { note } : {}) };
    expect(() => planChange(alertIn('open'), request)).toThrow(TriageInputError);
    expect(() => planChange(alertIn('open'), request)).toThrow(says);
  });

  it('refuses a change time that is not a time', () => {
    expect(() =>
      planChange(alertIn('open'), { to: 'acknowledged', by: 'dana', at: new Date('nope') }),
    ).toThrow('the change time is not valid');
  });
});
