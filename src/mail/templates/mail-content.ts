export interface MailContent {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}
