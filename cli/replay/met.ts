/**
 * Which alerts a replay has met so far. A second match of an alert in the same run is the
 * same event delivered again (a repeat: counted once, its line left out of jsonl); a match
 * of an alert stored before the run is an alert an earlier run stored. Only the run can tell
 * the two apart, so it asks this record at every match.
 */
export interface MetAlerts {
  /** Notes that the run met `alertId`; returns whether it had met it before. */
  meet(alertId: string): boolean;
}

/**
 * The record kept in this process: one entry per alert met, so it grows with the alert
 * count. Used with the in-memory store (which grows as much anyway) and with a deployed
 * table; the embedded store keeps its record in its file (`LocalAlertStore.startRun`).
 */
export class MetInMemory implements MetAlerts {
  private readonly met = new Set<string>();

  meet(alertId: string): boolean {
    if (this.met.has(alertId)) return true;
    this.met.add(alertId);
    return false;
  }
}
