/**
 * The session the toc's SQL assumes, applied once per connection before any entry (pg_dump's script
 * preamble does the same): every name in the entries is schema-qualified, because search_path is empty;
 * function bodies are not validated, because a body may name objects created later; row security is off
 * so that COPY and REFRESH see every row.
 */
export const TOC_SESSION_SETTINGS: string[] = [
	'SET statement_timeout = 0;',
	'SET lock_timeout = 0;',
	'SET idle_in_transaction_session_timeout = 0;',
	"SET client_encoding = 'UTF8';",
	'SET standard_conforming_strings = on;',
	"SELECT pg_catalog.set_config('search_path', '', false);",
	'SET check_function_bodies = false;',
	'SET xmloption = content;',
	'SET client_min_messages = warning;',
	'SET row_security = off;',
	"SET default_tablespace = '';",
	'SET default_table_access_method = heap;',
];
