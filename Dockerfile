# One image for every role of docker-compose.yml: web, worker, migrate and kernels.
FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md ./
COPY platform ./platform
COPY grader ./grader
RUN pip install --no-cache-dir .

COPY content ./content
COPY exercises ./exercises
# What the kernels may read: the exercises without reference solutions or hidden tests.
RUN academy course build /app/public --root /app \
    && mv /app/public/exercises /app/exercises-public \
    && mkdir -p /var/lib/academy /var/lib/kernels

ENV ACADEMY_CONTENT_DIR=/app/content \
    ACADEMY_EXERCISES_DIR=/app/exercises \
    ACADEMY_DATA_DIR=/var/lib/academy \
    PYTHONUNBUFFERED=1

EXPOSE 8000
CMD ["academy", "serve", "--host", "0.0.0.0", "--port", "8000"]
