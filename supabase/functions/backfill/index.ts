import { serveFunction } from "../_shared/serve.ts";
import { handleBackfill } from "./handler.ts";

serveFunction("backfill", handleBackfill);
