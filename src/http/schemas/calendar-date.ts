/**
 * A real `YYYY-MM-DD` day from 0001-01-01 on: what PostgreSQL's `date` takes
 * from a four-digit year. ajv-formats' `date` lets year 0000 through, which
 * PostgreSQL refuses ("date/time field value out of range"), so this one
 * replaces it.
 */
export function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month);
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
