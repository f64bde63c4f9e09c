/**
 * Member processes that exit without the robustness harness killing them: each such exit is a
 * failure of the run, noted in the member's log with its exit code and signal.
 */
export type ExitInfo = { code: number | null; signal: NodeJS.Signals | null };

/** Watches member processes: an exit the harness did not ask for is noted and reported. */
export class ExitWatch {
  private readonly unexpected: string[] = [];
  private readonly expected = new Set<number>();
  /** Pids that exited by themselves, with the note for their log, until the harness reaps them. */
  private readonly gone = new Map<number, string>();

  watch(pid: number, name: string, exited: Promise<ExitInfo>): void {
    void exited.then(({ code, signal }) => {
      if (this.expected.delete(pid)) return;
      const what = `${name} exited by itself (code ${code}, signal ${signal}) at ${new Date().toISOString()}`;
      this.gone.set(pid, `\n--- ${what}\n`);
      this.unexpected.push(what);
    });
  }
  /**
   * The harness is about to kill `pid`: returns the line its log ends with (killed, or the note
   * of an exit of its own that came first).
   */
  reap(pid: number): string {
    const note = this.gone.get(pid);
    if (note !== undefined) {
      this.gone.delete(pid);
      return note;
    }
    this.expected.add(pid);
    return `\n--- killed (SIGKILL) at ${new Date().toISOString()}\n`;
  }
  /** The note of `pid`'s own exit, or '' while it runs (or was killed). */
  note(pid: number | undefined): string {
    return pid === undefined ? '' : (this.gone.get(pid) ?? '');
  }
  take(): string[] {
    return this.unexpected.splice(0);
  }
}
