import Type from 'typebox';
import { Book, Review } from '../../schemas/catalogue.js';
import {
  bodyErrors,
  Email,
  errors,
  invalidInput,
  Message,
  permitted,
  rateLimited,
  signedIn,
  Text,
  Uuid,
  verifiedAccount,
  WellFormedString,
} from '../../schemas/common.js';
import {
  exampleAccessToken,
  exampleBook,
  exampleIds,
  exampleLogin,
  exampleRefreshToken,
  exampleReview,
  exampleSendMail,
  exampleSignup,
  exampleUser,
  exampleVerifiedUser,
} from '../../schemas/examples.js';
import { User } from '../../schemas/user.js';

const Password = WellFormedString({ minLength: 8, maxLength: 128 });
// No maxLength: a token of any length that is not one of ours is an invalid link (400), not a
// malformed request (422); only its hash is ever looked up, so its length costs nothing.
const LinkToken = Type.Object({ token: Type.String({ minLength: 1 }) });
const bearer = [{ bearerAuth: [] }];

export const signup = {
  summary: 'Create an account; the verification mail goes out in the background',
  tags: ['auth'],
  body: Type.Object(
    {
      first_name: Text(1, 25),
      last_name: Text(1, 25),
      username: Text(1, 32),
      email: Email,
      password: Password,
    },
    { examples: [exampleSignup] },
  ),
  response: {
    201: Type.Object(
      { message: Type.String(), user: User },
      { examples: [{ message: 'Account created. Check your email to verify your account', user: exampleUser }] },
    ),
    ...errors(bodyErrors, { 409: ['user_exists'] }, invalidInput, rateLimited),
  },
};

export const verify = {
  summary: 'Verify an email with the link from the verification mail (single use, 24 hours)',
  tags: ['auth'],
  params: LinkToken,
  // Any token of one character or more is a well-formed request: only its lookup can fail.
  response: { 200: Message('Your email is verified. You can log in now'), ...errors({ 400: ['invalid_link'] }) },
};

export const emailOnly = Type.Object({ email: Email }, { examples: [{ email: exampleLogin.email }] });

export const resendVerification = {
  summary: 'Mail a new verification link to an unverified account',
  tags: ['auth'],
  body: emailOnly,
  response: {
    202: Message('If that account exists and is not verified yet, a new link is on its way'),
    ...errors(bodyErrors, invalidInput, rateLimited),
  },
};

export const login = {
  summary: 'Log in: an access token (1 h) and a refresh token (2 days)',
  tags: ['auth'],
  body: Type.Object({ email: Email, password: WellFormedString({ minLength: 1, maxLength: 128 }) }, { examples: [exampleLogin] }),
  response: {
    200: Type.Object(
      {
        message: Type.String(),
        access_token: Type.String(),
        refresh_token: Type.String(),
        user: Type.Object({ email: Type.String(), uid: Uuid }),
      },
      {
        examples: [
          {
            message: 'Login successful',
            access_token: exampleAccessToken,
            refresh_token: exampleRefreshToken,
            user: { email: exampleUser.email, uid: exampleIds.user },
          },
        ],
      },
    ),
    ...errors(bodyErrors, { 401: ['invalid_email_or_password'] }, invalidInput, rateLimited),
  },
};

export const refreshToken = {
  summary: 'A new access token for a refresh token',
  tags: ['auth'],
  security: bearer,
  response: {
    200: Type.Object({ access_token: Type.String() }, { examples: [{ access_token: exampleAccessToken }] }),
    ...errors({ 401: ['invalid_token', 'token_revoked', 'refresh_token_required'] }),
  },
};

export const me = {
  summary: 'The account of the token, with its books and reviews',
  tags: ['auth'],
  security: bearer,
  response: {
    200: Type.Object(
      { ...User.properties, books: Type.Array(Book), reviews: Type.Array(Review) },
      { examples: [{ ...exampleVerifiedUser, books: [exampleBook], reviews: [exampleReview] }] },
    ),
    ...errors(signedIn, verifiedAccount),
  },
};

export const logout = {
  summary: "End this access token's session: its refresh token and every access token of it are refused",
  tags: ['auth'],
  security: bearer,
  response: { 200: Message('Logged out'), ...errors(signedIn) },
};

export const logoutWithBody = {
  ...logout,
  summary: "End this access token's session, and that of a refresh token of the same user given in the body",
  body: Type.Object({ refresh_token: Type.Optional(WellFormedString()) }, { examples: [{ refresh_token: exampleRefreshToken }] }),
  // The body's token too is checked: not one of ours (invalid_token), or an access token.
  response: { 200: Message('Logged out'), ...errors(bodyErrors, signedIn, { 401: ['refresh_token_required'] }, invalidInput) },
};

export const passwordResetRequest = {
  summary: 'Mail a password-reset link to an existing account',
  tags: ['auth'],
  body: emailOnly,
  response: {
    200: Message('If that account exists, a link to reset its password is on its way'),
    ...errors(bodyErrors, invalidInput, rateLimited),
  },
};

export const passwordResetCheck = {
  summary: 'Check a password-reset link without using it (a browser gets a form)',
  tags: ['auth'],
  params: LinkToken,
  // Any token of one character or more is a well-formed request: only its lookup can fail.
  response: {
    200: Message('This link is valid: POST new_password and confirm_new_password to it'),
    ...errors({ 400: ['invalid_link'] }),
  },
};

export const passwordResetConfirm = {
  summary: 'Set a new password with the link from the reset mail (single use, 1 hour)',
  tags: ['auth'],
  params: LinkToken,
  body: Type.Object(
    { new_password: Password, confirm_new_password: WellFormedString({ maxLength: 128 }) },
    { examples: [{ new_password: 'a longer passphrase, 2026', confirm_new_password: 'a longer passphrase, 2026' }] },
  ),
  response: {
    200: Message('Your password has been reset. Log in with the new one'),
    ...errors(bodyErrors, { 400: ['invalid_link'] }, invalidInput, rateLimited),
  },
};

export const sendMail = {
  summary: 'Mail every address (one mail each) in the background; admin only',
  tags: ['auth'],
  security: bearer,
  body: Type.Object(
    {
      addresses: Type.Array(Email, { minItems: 1, maxItems: 1000 }),
      subject: Type.Optional(Text(1, 200)),
      html: Type.Optional(WellFormedString({ minLength: 1, maxLength: 100_000 })),
    },
    { examples: [exampleSendMail] },
  ),
  response: {
    202: Type.Object(
      {
        message: Type.String(),
        task_id: Uuid,
        mailing_id: Type.String({ format: 'uuid', description: 'Its progress: GET /api/v1/mail/mailings/{mailing_id}' }),
      },
      { examples: [{ message: 'Sending 2 mail(s) in the background', task_id: exampleIds.task, mailing_id: exampleIds.mailing }] },
    ),
    ...errors(bodyErrors, signedIn, permitted, invalidInput),
  },
};
