import type { Clock } from '../../lambda/core/ports';

/**
 * A clock that moves only when a test moves it: a claim lapses because the test says so, not
 * because the machine was slow (or fast) enough. It starts at the real time, so what a
 * delivery stores (expiries, processing times) stays plausible.
 */
export class ManualClock implements Clock {
  private ms: number;

  constructor(start: number = Date.now()) {
    this.ms = start;
  }

  now(): Date {
    return new Date(this.ms);
  }

  advance(ms: number): void {
    this.ms += ms;
  }

  /** Moves to just after `instant` (an ISO time, such as a stored claim's expiry), if behind it. */
  passBeyond(instant: string): void {
    const target = Date.parse(instant);
    if (Number.isNaN(target)) throw new Error(`not a time: ${instant}`);
    this.ms = Math.max(this.ms, target + 1);
  }
}
