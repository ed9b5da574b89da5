/**
 * An error a client can act on. Services throw these; the HTTP error handler
 * turns them into the contract's body `{ message, error_code, resolution, details }`.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly resolution?: string,
    readonly details?: readonly ErrorDetail[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export interface ErrorDetail {
  field: string;
  message: string;
}

export class ValidationError extends AppError {
  constructor(details: readonly ErrorDetail[], message = 'The request is not valid') {
    super(422, 'validation_error', message, 'Correct the fields listed in details and try again', details);
  }
}

export class NotFoundError extends AppError {
  constructor(code: string, message: string) {
    super(404, code, message);
  }
}

export class UnauthorizedError extends AppError {
  constructor(code: string, message: string, resolution?: string) {
    super(401, code, message, resolution);
  }
}

export class ForbiddenError extends AppError {
  constructor(code: string, message: string, resolution?: string) {
    super(403, code, message, resolution);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string, resolution?: string) {
    super(409, code, message, resolution);
  }
}

export class InvalidLinkError extends AppError {
  constructor() {
    super(400, 'invalid_link', 'This link is invalid, has expired or has already been used', 'Ask for a new link');
  }
}

/**
 * A verification link used again (or expired) after its account was verified. Still the contract's
 * 400 `invalid_link`, since a link works once, but in words that tell its reader all is well.
 */
export class AlreadyVerifiedError extends AppError {
  constructor() {
    super(400, 'invalid_link', 'This email is verified already; log in', 'Log in with your email and password');
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message: string) {
    super(503, 'service_unavailable', message, 'Try again in a moment');
  }
}
