/**
 * Lanes run side by side with their own concurrency, so a long bulk send
 * never holds back a verification mail. This file imports nothing: the mail
 * transport and the task engine both name lanes without meeting.
 */
export type Lane = 'default' | 'bulk';
export const lanes: readonly Lane[] = ['default', 'bulk'];

export function isLane(value: string): value is Lane {
  return (lanes as readonly string[]).includes(value);
}
