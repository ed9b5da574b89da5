CREATE TABLE "mail_messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"recipient" text NOT NULL,
	"subject" text NOT NULL,
	"state" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"smtp_response" text,
	"reason" text,
	"message_id" text NOT NULL,
	"task_id" uuid NOT NULL,
	"mailing_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "mail_messages_state_check" CHECK ("mail_messages"."state" in ('queued', 'sent', 'failed', 'suppressed')),
	CONSTRAINT "mail_messages_kind_check" CHECK ("mail_messages"."kind" in ('verify', 'reset', 'bulk'))
);
--> statement-breakpoint
CREATE TABLE "mail_suppressions" (
	"email" text PRIMARY KEY NOT NULL,
	"reason" text DEFAULT 'unsubscribed' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "unsubscribe_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "mail_messages_task_idx" ON "mail_messages" USING btree ("task_id");--> statement-breakpoint
CREATE INDEX "mail_messages_recipient_idx" ON "mail_messages" USING btree (lower("recipient"),"created_at");--> statement-breakpoint
CREATE INDEX "mail_messages_mailing_idx" ON "mail_messages" USING btree ("mailing_id","state");--> statement-breakpoint
CREATE INDEX "mail_messages_created_idx" ON "mail_messages" USING btree ("created_at");