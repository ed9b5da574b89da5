import type { Config } from '../config/load-config.js';
import type { ScheduleDefinition } from './scheduler.js';

/** The periodic tasks, defined here in code; the configuration only says when the built-in ones run. */
export function scheduleDefinitions(config: Config['tasks']): ScheduleDefinition[] {
  const schedules: ScheduleDefinition[] = [];
  if (config.pruneCron) schedules.push({ name: 'maintenance.prune', cron: config.pruneCron, task: 'maintenance.prune', payload: {} });
  return schedules;
}
