import { eq, getTableColumns, sql } from 'drizzle-orm';
import type { SessionUser } from '../auth/auth-cache.js';
import type { LinkTokens } from '../auth/link-tokens.js';
import { hashPassword } from '../auth/passwords.js';
import type { Db, Executor } from '../db/client.js';
import { emailIs } from '../db/email-is.js';
import { isUniqueViolation } from '../db/errors.js';
import { type UserRow, users } from '../db/schema/index.js';
import { transaction } from '../db/transaction.js';
import { AlreadyVerifiedError, ConflictError, InvalidLinkError, NotFoundError } from '../errors.js';
import type { MailLedger } from '../mail/ledger.js';
import { verifyEmailSubject } from '../mail/templates/verify-email.js';
import { verificationMailKey } from '../tasks/definitions/send-verification-email.js';
import type { TaskQueue } from '../tasks/task-queue.js';

export interface SignupInput {
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  password: string;
}

/** Told of every change to an account that this service makes, once it is committed. */
export interface AccountChanges {
  userChanged(uid: string): void;
}

const { passwordHash: _, ...sessionColumns } = getTableColumns(users);

/** Accounts: signup, email verification, password reset, roles. */
export class AccountService {
  private readonly byId;
  /** Runs on every authenticated request the auth cache cannot answer, so it is prepared once. */
  private readonly sessionUserById;

  constructor(
    private readonly db: Db,
    private readonly tasks: TaskQueue,
    private readonly links: LinkTokens,
    private readonly ledger: MailLedger,
    private readonly changes: AccountChanges = { userChanged: () => {} },
  ) {
    this.byId = db.query.users.findFirst({ where: eq(users.uid, sql.placeholder('uid')) }).prepare('user_by_uid');
    this.sessionUserById = db
      .select(sessionColumns)
      .from(users)
      .where(eq(users.uid, sql.placeholder('uid')))
      .limit(1)
      .prepare('session_user_by_uid');
  }

  /** Creates an unverified account; its verification mail is a task committed with it. */
  async signup(input: SignupInput): Promise<UserRow> {
    const passwordHash = await hashPassword(input.password);
    try {
      return await transaction(this.db, async (tx) => {
        const [user] = await tx
          .insert(users)
          .values({ ...input, email: input.email.trim(), passwordHash })
          .returning();
        const created = user as UserRow;
        const taskId = await this.tasks.enqueue(
          tx,
          'mail.verify-email',
          { userUid: created.uid },
          { key: verificationMailKey(created.uid) },
        );
        await this.ledger.record(tx, [{ kind: 'verify', recipient: created.email, subject: verifyEmailSubject, taskId }]);
        return created;
      });
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_lower_key')) {
        throw new ConflictError('user_exists', 'An account with this email already exists', 'Log in, or reset your password');
      }
      throw error;
    }
  }

  /**
   * Verifies the account of a verification link. A link that no longer works (used, or expired)
   * of an account that is verified says so: the person clicked an old mail, and all is well.
   */
  async verifyEmail(token: string): Promise<void> {
    const uid = await transaction(this.db, async (tx) => {
      const userUid = await this.links.consume(tx, token, 'verify_email');
      if (userUid === undefined) {
        if (await this.isVerified(tx, await this.links.ownerOf(tx, token, 'verify_email'))) throw new AlreadyVerifiedError();
        throw new InvalidLinkError();
      }
      await this.links.consumeAll(tx, userUid, 'verify_email');
      await tx.update(users).set({ isVerified: true }).where(eq(users.uid, userUid));
      return userUid;
    });
    this.changes.userChanged(uid);
  }

  /**
   * Asks for a new link to an unverified account. The request only records a
   * task that decides, the same statement for any email, so neither the
   * answer nor its timing tells whether the email has an account.
   */
  async resendVerification(email: string): Promise<void> {
    await this.tasks.enqueue(this.db, 'mail.verification-request', { email: email.trim() });
  }

  /** Asks for a reset link to an existing account; the same work for any email, as `resendVerification`. */
  async requestPasswordReset(email: string): Promise<void> {
    await this.tasks.enqueue(this.db, 'mail.reset-request', { email: email.trim() });
  }

  /**
   * Sets the new password, spends every open reset link, and moves the token
   * generation on so that every token issued before the reset is refused.
   */
  async confirmPasswordReset(token: string, newPassword: string): Promise<void> {
    const passwordHash = await hashPassword(newPassword);
    const uid = await transaction(this.db, async (tx) => {
      const userUid = await this.links.consume(tx, token, 'reset_password');
      if (userUid === undefined) throw new InvalidLinkError();
      await this.links.consumeAll(tx, userUid, 'reset_password');
      await tx
        .update(users)
        .set({ passwordHash, tokenGeneration: sql`${users.tokenGeneration} + 1` })
        .where(eq(users.uid, userUid));
      return userUid;
    });
    this.changes.userChanged(uid);
  }

  /** Whether a reset link would be accepted now; it stays unused. */
  isPasswordResetLinkValid(token: string): Promise<boolean> {
    return this.links.isUsable(this.db, token, 'reset_password');
  }

  private async isVerified(executor: Executor, uid: string | undefined): Promise<boolean> {
    if (uid === undefined) return false;
    const [user] = await executor.select({ isVerified: users.isVerified }).from(users).where(eq(users.uid, uid)).limit(1);
    return user?.isVerified ?? false;
  }

  async promoteToAdmin(email: string): Promise<UserRow> {
    const [user] = await this.db.update(users).set({ role: 'admin' }).where(emailIs(email)).returning();
    if (!user) throw new NotFoundError('user_not_found', `No account has the email ${email}`);
    this.changes.userChanged(user.uid);
    return user;
  }

  async findById(uid: string): Promise<UserRow | undefined> {
    return this.byId.execute({ uid });
  }

  /** The account a session stands for, without its password hash. */
  async sessionUser(uid: string): Promise<SessionUser | undefined> {
    const [user] = await this.sessionUserById.execute({ uid });
    return user;
  }

  findByEmail(email: string): Promise<UserRow | undefined> {
    return findByEmail(this.db, email);
  }
}

async function findByEmail(executor: Executor, email: string): Promise<UserRow | undefined> {
  const [user] = await executor.select().from(users).where(emailIs(email)).limit(1);
  return user;
}
