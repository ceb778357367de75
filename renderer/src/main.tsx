import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App';
import { queryClient, subscribeToStudioEvents } from './lib/queries';
import { subscribeToEvalEvents } from './lib/eval-queries';
import { subscribeToJudgeEvents } from './lib/judge-queries';
import { subscribeToReportEvents } from './lib/report-queries';
import './styles.css';

subscribeToStudioEvents();
subscribeToEvalEvents();
subscribeToJudgeEvents();
subscribeToReportEvents();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
