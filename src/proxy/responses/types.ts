// The parts of the OpenAI Responses API the proxy reads and writes. Loose where clients vary.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface ContentPart {
  type: string; // input_text | output_text | input_image | input_file | refusal | summary_text ...
  text?: string;
  image_url?: string | { url: string };
  file_id?: string;
  detail?: string;
  refusal?: string;
}

export interface InputItem {
  type?: string; // message (default) | function_call | function_call_output | custom_tool_call | ...
  id?: string;
  role?: string;
  content?: string | ContentPart[];
  status?: string;
  name?: string;
  namespace?: string;
  arguments?: string;
  call_id?: string;
  input?: string;
  output?: string | ContentPart[];
  summary?: ContentPart[];
  encrypted_content?: string | null;
  [key: string]: unknown;
}

export interface ToolSpec {
  type: string; // function | custom | namespace | web_search | tool_search | ...
  name?: string;
  description?: string;
  parameters?: Json;
  strict?: boolean;
  format?: { type: string; syntax?: string; definition?: string };
  tools?: ToolSpec[];
  [key: string]: unknown;
}

export interface ResponsesRequest {
  model?: string;
  input?: string | InputItem[];
  instructions?: string | null;
  tools?: ToolSpec[];
  tool_choice?: string | { type: string; name?: string };
  parallel_tool_calls?: boolean;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  reasoning?: { effort?: string | null; summary?: string | null } | null;
  text?: { format?: { type: string; name?: string; schema?: Json; strict?: boolean }; verbosity?: string } | null;
  stream?: boolean;
  store?: boolean;
  previous_response_id?: string | null;
  user?: string;
  metadata?: Record<string, string>;
  [key: string]: unknown;
}

export interface OutputMessage {
  type: "message";
  id: string;
  status: string;
  role: "assistant";
  content: { type: "output_text"; text: string; annotations: Json[]; logprobs?: Json[] }[];
}

export interface OutputFunctionCall {
  type: "function_call";
  id: string;
  status: string;
  call_id: string;
  name: string;
  namespace?: string;
  arguments: string;
}

export interface OutputCustomToolCall {
  type: "custom_tool_call";
  id: string;
  status: string;
  call_id: string;
  name: string;
  namespace?: string;
  input: string;
}

export interface OutputReasoning {
  type: "reasoning";
  id: string;
  summary: { type: "summary_text"; text: string }[];
  encrypted_content?: string | null;
}

export type OutputItem = OutputMessage | OutputFunctionCall | OutputCustomToolCall | OutputReasoning;

export interface Usage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface ResponseObject {
  id: string;
  object: "response";
  created_at: number;
  status: "in_progress" | "completed" | "failed" | "incomplete";
  model: string;
  output: OutputItem[];
  parallel_tool_calls: boolean;
  tool_choice: Json;
  tools: Json[];
  error: { code: string; message: string } | null;
  incomplete_details: { reason: string } | null;
  usage: Usage | null;
  output_text?: string;
}
