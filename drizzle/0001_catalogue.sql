CREATE TABLE "books" (
	"uid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"title" varchar(255) NOT NULL,
	"author" varchar(255) NOT NULL,
	"publisher" varchar(255) NOT NULL,
	"published_date" date NOT NULL,
	"page_count" integer NOT NULL,
	"language" varchar(50) NOT NULL,
	"user_uid" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "books_page_count_check" CHECK ("books"."page_count" >= 1)
);
--> statement-breakpoint
CREATE TABLE "reviews" (
	"uid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"rating" integer NOT NULL,
	"review_text" varchar(5000) NOT NULL,
	"user_uid" uuid NOT NULL,
	"book_uid" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reviews_rating_check" CHECK ("reviews"."rating" between 1 and 5),
	CONSTRAINT "reviews_text_check" CHECK (char_length("reviews"."review_text") >= 1)
);
--> statement-breakpoint
CREATE TABLE "book_tags" (
	"book_uid" uuid NOT NULL,
	"tag_uid" uuid NOT NULL,
	CONSTRAINT "book_tags_book_uid_tag_uid_pk" PRIMARY KEY("book_uid","tag_uid")
);
--> statement-breakpoint
CREATE TABLE "tags" (
	"uid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar(50) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tags_name_check" CHECK (char_length("tags"."name") >= 1)
);
--> statement-breakpoint
ALTER TABLE "books" ADD CONSTRAINT "books_user_uid_users_uid_fk" FOREIGN KEY ("user_uid") REFERENCES "public"."users"("uid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_user_uid_users_uid_fk" FOREIGN KEY ("user_uid") REFERENCES "public"."users"("uid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_book_uid_books_uid_fk" FOREIGN KEY ("book_uid") REFERENCES "public"."books"("uid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "book_tags" ADD CONSTRAINT "book_tags_book_uid_books_uid_fk" FOREIGN KEY ("book_uid") REFERENCES "public"."books"("uid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "book_tags" ADD CONSTRAINT "book_tags_tag_uid_tags_uid_fk" FOREIGN KEY ("tag_uid") REFERENCES "public"."tags"("uid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "books_newest_idx" ON "books" USING btree ("created_at" DESC NULLS LAST,"uid" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "books_user_newest_idx" ON "books" USING btree ("user_uid","created_at" DESC NULLS LAST,"uid" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "reviews_book_idx" ON "reviews" USING btree ("book_uid","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "reviews_user_idx" ON "reviews" USING btree ("user_uid","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "reviews_newest_idx" ON "reviews" USING btree ("created_at" DESC NULLS LAST,"uid" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "book_tags_tag_idx" ON "book_tags" USING btree ("tag_uid");--> statement-breakpoint
CREATE UNIQUE INDEX "tags_name_lower_key" ON "tags" USING btree (lower("name"));