import Type from 'typebox';
import { Book, Review } from '../../schemas/catalogue.js';
import { Email, errors, Message, Text, Uuid, WellFormedString } from '../../schemas/common.js';
import { User } from '../../schemas/user.js';

const Password = WellFormedString({ minLength: 8, maxLength: 128 });
// No maxLength: a token of any length that is not one of ours is an invalid link (400), not a
// malformed request (422); only its hash is ever looked up, so its length costs nothing.
const LinkToken = Type.Object({ token: Type.String({ minLength: 1 }) });
const bearer = [{ bearerAuth: [] }];

export const signup = {
  summary: 'Create an account; the verification mail goes out in the background',
  tags: ['auth'],
  body: Type.Object({
    first_name: Text(1, 25),
    last_name: Text(1, 25),
    username: Text(1, 32),
    email: Email,
    password: Password,
  }),
  response: { 201: Type.Object({ message: Type.String(), user: User }), ...errors(409, 422, 429) },
};

export const verify = {
  summary: 'Verify an email with the link from the verification mail (single use, 24 hours)',
  tags: ['auth'],
  params: LinkToken,
  response: { 200: Message, ...errors(400, 422) },
};

export const emailOnly = Type.Object({ email: Email });

export const resendVerification = {
  summary: 'Mail a new verification link to an unverified account',
  tags: ['auth'],
  body: emailOnly,
  response: { 202: Message, ...errors(422, 429) },
};

export const login = {
  summary: 'Log in: an access token (1 h) and a refresh token (2 days)',
  tags: ['auth'],
  body: Type.Object({ email: Email, password: WellFormedString({ minLength: 1, maxLength: 128 }) }),
  response: {
    200: Type.Object({
      message: Type.String(),
      access_token: Type.String(),
      refresh_token: Type.String(),
      user: Type.Object({ email: Type.String(), uid: Uuid }),
    }),
    ...errors(401, 422, 429),
  },
};

export const refreshToken = {
  summary: 'A new access token for a refresh token',
  tags: ['auth'],
  security: bearer,
  response: { 200: Type.Object({ access_token: Type.String() }), ...errors(401) },
};

export const me = {
  summary: 'The account of the token, with its books and reviews',
  tags: ['auth'],
  security: bearer,
  response: {
    200: Type.Object({ ...User.properties, books: Type.Array(Book), reviews: Type.Array(Review) }),
    ...errors(401, 403),
  },
};

export const logout = {
  summary: "End this access token's session: its refresh token and every access token of it are refused",
  tags: ['auth'],
  security: bearer,
  response: { 200: Message, ...errors(401) },
};

export const logoutWithBody = {
  ...logout,
  summary: "End this access token's session, and that of a refresh token of the same user given in the body",
  body: Type.Object({ refresh_token: Type.Optional(WellFormedString()) }),
  response: { 200: Message, ...errors(401, 422) },
};

export const passwordResetRequest = {
  summary: 'Mail a password-reset link to an existing account',
  tags: ['auth'],
  body: emailOnly,
  response: { 200: Message, ...errors(422, 429) },
};

export const passwordResetCheck = {
  summary: 'Check a password-reset link without using it (a browser gets a form)',
  tags: ['auth'],
  params: LinkToken,
  response: { 200: Message, ...errors(400, 422) },
};

export const passwordResetConfirm = {
  summary: 'Set a new password with the link from the reset mail (single use, 1 hour)',
  tags: ['auth'],
  params: LinkToken,
  body: Type.Object({ new_password: Password, confirm_new_password: WellFormedString({ maxLength: 128 }) }),
  response: { 200: Message, ...errors(400, 415, 422, 429) },
};

export const sendMail = {
  summary: 'Mail every address (one mail each) in the background; admin only',
  tags: ['auth'],
  security: bearer,
  body: Type.Object({
    addresses: Type.Array(Email, { minItems: 1, maxItems: 1000 }),
    subject: Type.Optional(Text(1, 200)),
    html: Type.Optional(WellFormedString({ minLength: 1, maxLength: 100_000 })),
  }),
  response: {
    202: Type.Object({
      message: Type.String(),
      task_id: Uuid,
      mailing_id: Type.String({ format: 'uuid', description: 'Its progress: GET /api/v1/mail/mailings/{mailing_id}' }),
    }),
    ...errors(401, 403, 422),
  },
};
