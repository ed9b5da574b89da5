import Type from 'typebox';
import { defineTask } from '../define.js';

/**
 * Does nothing: a canary that shows the workers consume (enqueue one, see it
 * complete), and the measure of the task machinery's own cost in `npm run bench`.
 */
export const noop = defineTask({
  name: 'system.noop',
  payload: Type.Object({}),
  attempts: 1,
  async run() {
    return null;
  },
});
