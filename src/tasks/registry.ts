import type Type from 'typebox';
import type { TaskDefinition } from './define.js';
import { noop } from './definitions/noop.js';
import { prune } from './definitions/prune.js';
import { requestPasswordReset } from './definitions/request-password-reset.js';
import { requestVerificationEmail } from './definitions/request-verification-email.js';
import { sendBulkMail } from './definitions/send-bulk-mail.js';
import { sendMailingMessage } from './definitions/send-mailing-message.js';
import { sendPasswordResetEmail } from './definitions/send-password-reset-email.js';
import { sendVerificationEmail } from './definitions/send-verification-email.js';
import { type Lane, lanes } from './lane.js';

/** Every task the application knows. A task name missing here cannot be enqueued or run. */
export const taskDefinitions = [
  requestVerificationEmail,
  requestPasswordReset,
  sendVerificationEmail,
  sendPasswordResetEmail,
  sendBulkMail,
  sendMailingMessage,
  noop,
  prune,
] as const;

type Known = (typeof taskDefinitions)[number];
export type TaskName = Known['name'];
export type TaskPayload<N extends TaskName> = Type.Static<Extract<Known, { name: N }>['payload']>;

/** Looks definitions up by name; refuses at start-up a list that names a task twice or uses an unknown lane. */
export class TaskRegistry {
  private readonly byName = new Map<string, TaskDefinition>();

  constructor(definitions: readonly TaskDefinition[] = taskDefinitions) {
    for (const definition of definitions) {
      if (this.byName.has(definition.name)) throw new Error(`Two task definitions are named ${definition.name}`);
      if (!lanes.includes(definition.lane)) throw new Error(`Task ${definition.name} names an unknown lane ${definition.lane}`);
      this.byName.set(definition.name, definition);
    }
  }

  get(name: string): TaskDefinition | undefined {
    return this.byName.get(name);
  }

  require(name: string): TaskDefinition {
    const definition = this.byName.get(name);
    if (!definition) throw new Error(`No task is defined with the name ${name}`);
    return definition;
  }

  lanes(): Lane[] {
    return lanes.filter((lane) => [...this.byName.values()].some((definition) => definition.lane === lane));
  }
}
