CREATE TABLE "lane_pauses" (
	"lane" text PRIMARY KEY NOT NULL,
	"paused_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "task_schedules" (
	"name" text PRIMARY KEY NOT NULL,
	"last_slot_at" timestamp with time zone NOT NULL,
	"last_task_id" uuid,
	"last_run_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "task_workers" (
	"id" text PRIMARY KEY NOT NULL,
	"hostname" text NOT NULL,
	"pid" integer NOT NULL,
	"lanes" text[] NOT NULL,
	"concurrency" integer NOT NULL,
	"heartbeat_ms" integer NOT NULL,
	"running" integer DEFAULT 0 NOT NULL,
	"completed" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tasks" DROP CONSTRAINT "tasks_state_check";--> statement-breakpoint
ALTER TABLE "mailings" ADD COLUMN "recipients" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE "mailings" SET "recipients" = cardinality("addresses");--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "key" text;--> statement-breakpoint
CREATE INDEX "task_workers_last_seen_idx" ON "task_workers" USING btree ("last_seen_at");--> statement-breakpoint
CREATE INDEX "link_tokens_expires_idx" ON "link_tokens" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "dev_mail_created_idx" ON "dev_mail" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_live_key_idx" ON "tasks" USING btree ("key") WHERE "tasks"."key" is not null and "tasks"."state" in ('pending', 'delayed', 'active');--> statement-breakpoint
CREATE INDEX "tasks_created_idx" ON "tasks" USING btree ("created_at");--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_state_check" CHECK ("tasks"."state" in ('pending', 'active', 'delayed', 'completed', 'failed', 'cancelled'));