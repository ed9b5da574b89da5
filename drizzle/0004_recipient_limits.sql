CREATE TABLE "recipient_sends" (
	"address" text NOT NULL,
	"kind" text NOT NULL,
	"sent_at" timestamp with time zone[] NOT NULL,
	"last_sent_at" timestamp with time zone NOT NULL,
	CONSTRAINT "recipient_sends_pkey" PRIMARY KEY("address","kind"),
	CONSTRAINT "recipient_sends_kind_check" CHECK ("recipient_sends"."kind" in ('verify', 'reset'))
);
--> statement-breakpoint
CREATE INDEX "recipient_sends_last_sent_idx" ON "recipient_sends" USING btree ("last_sent_at");