import { serveFunction } from "../_shared/serve.ts";
import { handleAnalyze } from "./handler.ts";

serveFunction("analyze", handleAnalyze);
