import { serveFunction } from "../_shared/serve.ts";
import { handleIngest } from "./handler.ts";

serveFunction("ingest", handleIngest);
