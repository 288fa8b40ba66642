CREATE TABLE `sync_errors` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`store_id` text NOT NULL,
	`device_id` text,
	`register_id` text,
	`item_type` text NOT NULL,
	`client_id` text NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`code` text NOT NULL,
	`message` text NOT NULL,
	`fields` text,
	`payload` text NOT NULL,
	`attempts` integer NOT NULL,
	`first_seen_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`resolved_at` integer,
	`resolved_by` text,
	`resolution` text,
	`note` text,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`store_id`) REFERENCES `stores`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sync_errors_record_uq` ON `sync_errors` (`tenant_id`,`store_id`,`item_type`,`client_id`,`kind`);--> statement-breakpoint
CREATE INDEX `sync_errors_store_status_idx` ON `sync_errors` (`store_id`,`status`,`last_seen_at`);--> statement-breakpoint
CREATE TABLE `z_report_revisions` (
	`tenant_id` text NOT NULL,
	`z_report_id` text NOT NULL,
	`session_id` text NOT NULL,
	`revision` integer NOT NULL,
	`report` text NOT NULL,
	`superseded_at` integer NOT NULL,
	PRIMARY KEY(`z_report_id`, `revision`)
);
--> statement-breakpoint
CREATE INDEX `z_report_revisions_session_idx` ON `z_report_revisions` (`session_id`);