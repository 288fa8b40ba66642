CREATE TABLE `credential_resets` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`user_id` text NOT NULL,
	`code_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `credential_resets_code_uq` ON `credential_resets` (`code_hash`);--> statement-breakpoint
CREATE INDEX `credential_resets_user_idx` ON `credential_resets` (`user_id`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`user_id` text NOT NULL,
	`store_id` text NOT NULL,
	`device_id` text,
	`method` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer NOT NULL,
	`revoked_at` integer,
	`revoke_reason` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE INDEX `sessions_device_idx` ON `sessions` (`device_id`);--> statement-breakpoint
CREATE TABLE `write_guards` (
	`kind` text PRIMARY KEY NOT NULL,
	`ok` integer NOT NULL,
	CONSTRAINT "session_live" CHECK("write_guards"."kind" <> 'session' OR "write_guards"."ok" = 1),
	CONSTRAINT "last_administrator" CHECK("write_guards"."kind" <> 'last_admin' OR "write_guards"."ok" = 1)
);
--> statement-breakpoint
CREATE TABLE `devices` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`store_id` text NOT NULL,
	`kind` text NOT NULL,
	`register_id` text,
	`name` text NOT NULL,
	`pairing_code_hash` text,
	`pairing_expires_at` integer,
	`credential_hash` text,
	`paired_at` integer,
	`revoked_at` integer,
	`revoked_by` text,
	`last_seen_at` integer,
	`created_by` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`store_id`) REFERENCES `stores`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`register_id`) REFERENCES `registers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `devices_pairing_code_uq` ON `devices` (`pairing_code_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `devices_credential_uq` ON `devices` (`credential_hash`);--> statement-breakpoint
CREATE INDEX `devices_store_idx` ON `devices` (`store_id`);--> statement-breakpoint
CREATE INDEX `devices_register_idx` ON `devices` (`register_id`);--> statement-breakpoint
ALTER TABLE `tenants` ADD `pin_length` integer DEFAULT 4 NOT NULL;