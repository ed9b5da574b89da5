-- The API caches what authenticating a request reads (the user row, a session's revocation);
-- these triggers tell every listening process, at commit, which entry is stale (channel bookly_auth).
-- Payloads: 'user:<uid>', 'session:<session id>', 'all' (a table emptied).
CREATE FUNCTION "bookly_auth_notify_user"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('bookly_auth', 'user:' || OLD.uid::text);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION "bookly_auth_notify_session"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('bookly_auth', 'session:' || NEW.session_id::text);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION "bookly_auth_notify_all"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('bookly_auth', 'all');
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- Any change of the row, not only role, is_verified and token_generation: a session carries the
-- whole row (GET /auth/me answers its email and names), and accounts change rarely.
CREATE TRIGGER "users_auth_notify_update" AFTER UPDATE ON "users"
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION "bookly_auth_notify_user"();
--> statement-breakpoint
CREATE TRIGGER "users_auth_notify_delete" AFTER DELETE ON "users"
  FOR EACH ROW EXECUTE FUNCTION "bookly_auth_notify_user"();
--> statement-breakpoint
CREATE TRIGGER "users_auth_notify_truncate" AFTER TRUNCATE ON "users"
  FOR EACH STATEMENT EXECUTE FUNCTION "bookly_auth_notify_all"();
--> statement-breakpoint
CREATE TRIGGER "revoked_sessions_auth_notify_insert" AFTER INSERT ON "revoked_sessions"
  FOR EACH ROW EXECUTE FUNCTION "bookly_auth_notify_session"();
--> statement-breakpoint
-- Deleting an expired revocation (the sweep) needs no notice: every token of it has expired too.
CREATE TRIGGER "revoked_sessions_auth_notify_truncate" AFTER TRUNCATE ON "revoked_sessions"
  FOR EACH STATEMENT EXECUTE FUNCTION "bookly_auth_notify_all"();
