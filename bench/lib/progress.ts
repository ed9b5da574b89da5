/**
 * One line on stderr that says what runs and how far it got, rewritten in
 * place on a terminal, printed at most every few seconds otherwise (CI logs).
 */
export class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private lastPrinted = 0;
  private stage = '';

  constructor(private readonly total: number) {}

  /** A new step: `index` of the total scenarios, and what it does. */
  start(index: number, stage: string): void {
    this.stage = `[${index}/${this.total}] ${stage}`;
    this.write(this.stage, true);
  }

  /** How far the current step is, e.g. `120/200 signups`. */
  update(detail: string): void {
    this.write(`${this.stage} — ${detail}`, false);
  }

  done(message: string): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
    process.stderr.write(`${message}\n`);
  }

  private write(line: string, force: boolean): void {
    if (this.tty) {
      process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns ?? 120) - 1)}`);
      return;
    }
    const now = Date.now();
    if (force || now - this.lastPrinted > 5000) {
      this.lastPrinted = now;
      process.stderr.write(`${line}\n`);
    }
  }
}
