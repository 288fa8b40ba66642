ALTER TABLE `devices` ADD `last_pull_at` integer;--> statement-breakpoint
ALTER TABLE `devices` ADD `last_pull_seq` integer;--> statement-breakpoint
ALTER TABLE `devices` ADD `last_push_at` integer;--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_write_guards` (
	`kind` text PRIMARY KEY NOT NULL,
	`ok` integer NOT NULL,
	CONSTRAINT "session_live" CHECK("__new_write_guards"."kind" <> 'session' OR "__new_write_guards"."ok" = 1),
	CONSTRAINT "device_live" CHECK("__new_write_guards"."kind" <> 'device' OR "__new_write_guards"."ok" = 1),
	CONSTRAINT "last_administrator" CHECK("__new_write_guards"."kind" <> 'last_admin' OR "__new_write_guards"."ok" = 1),
	CONSTRAINT "register_session_open" CHECK("__new_write_guards"."kind" <> 'session_open' OR "__new_write_guards"."ok" = 1),
	CONSTRAINT "return_within_sold" CHECK("__new_write_guards"."kind" <> 'return_limit' OR "__new_write_guards"."ok" = 1)
);
--> statement-breakpoint
INSERT INTO `__new_write_guards`("kind", "ok") SELECT "kind", "ok" FROM `write_guards`;--> statement-breakpoint
DROP TABLE `write_guards`;--> statement-breakpoint
ALTER TABLE `__new_write_guards` RENAME TO `write_guards`;--> statement-breakpoint
PRAGMA foreign_keys=ON;