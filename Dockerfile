# One image for every service role; docker-compose.yml picks the command (api or worker).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    CIQA_DATA_DIR=/data

# libgomp: faiss and onnxruntime; fonts: CJK text in generated reports.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 fonts-wqy-zenhei \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# CPU wheels of torch first, so the project install does not pull the CUDA build.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md ./
COPY backend backend
COPY indexing indexing
COPY corpus corpus
COPY eval eval
COPY rubrics rubrics
COPY prompts prompts
# Editable install: rubrics/ and prompts/ are found next to the code, as in a checkout.
RUN pip install -e . && useradd --create-home --uid 1000 ciqa && mkdir -p /data && chown ciqa /data

USER ciqa
VOLUME ["/data"]
EXPOSE 8000
CMD ["ciqa", "serve", "--no-worker", "--host", "0.0.0.0", "--port", "8000"]
